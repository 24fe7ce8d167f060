/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reader.c - the streaming trace reader: opens a file or stdin through
 * zlib's gz layer (which reads gzip and plain files alike), detects the
 * encoding from the decompressed content ("IOMTRACE" -> binary, else
 * text), checks the header, and then either decodes inline or runs a
 * decode-ahead producer thread.
 *
 * Decode-ahead: the producer fills batches of READER_BATCH records in a ring
 * of READER_NBATCH batches (mutex + two condvars); iom_trace_next copies
 * from the batch at the head.  A decoding error ends the producer's batch
 * and is delivered after the records before it, so threaded and inline
 * reading return identical sequences.  Memory is the ring plus one input
 * buffer: independent of trace length.
 * Does not: seek or rewind (stdin and gzip streams cannot).
 * Timing: none (records carry their own time).
 */
#include "trace-int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READER_BUF (1u << 20)     /* decompressed input buffer */
#define READER_GZBUF (256u << 10) /* zlib's own input buffer */
#define READER_BATCH 4096
#define READER_NBATCH 4

struct reader_batch {
	struct iom_rec recs[READER_BATCH];
	uint64_t locs[READER_BATCH];
	unsigned n;
	int status;          /* 1 more follows; 0 end; <0 error in err */
	uint64_t skipped;    /* source's skip count at the end of the batch */
	struct iom_err err;
};

/* Three groups on separate cache lines: the producer's decoder state, the
 * consumer's state (read on every record: sharing a line with the decoder's
 * constantly written fields cost more than the whole record hand-over), and
 * the few fields both touch under the lock once per batch. */
struct iom_trace_reader {
	/* producer (the decode thread, or the consumer when not threaded) */
	struct trc_src src;
	/* consumer */
	_Alignas(64) char *name;
	bool threaded;
	bool holding;       /* consumer owns ring[head] */
	unsigned head, pos; /* head: batch being read; pos: next record in it */
	struct reader_batch *ring;
	const uint64_t *locp; /* location of the record last returned */
	uint64_t records, skipped, loc;
	int status; /* 1 running; 0 ended; <0 sticky error */
	int fd;             /* the file under the gzip layer (progress) */
	uint64_t file_size; /* 0 when not a regular file */
	struct iom_rec one; /* the record, when decoding inline */
	struct iom_err err;
	char where[300];
	/* shared, under lock */
	_Alignas(64) unsigned fill; /* batches ready */
	bool stop;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t ready, space;
};

/* ------------------------------------------------------------------ */
/* input                                                               */

static void in_error(struct trc_in *in)
{
	int errnum = Z_OK;
	const char *m = gzerror(in->gz, &errnum);
	if (errnum == Z_OK)
		return;
	if (errnum == Z_ERRNO) {
		in->pend_code = IOM_EIO;
		snprintf(in->pend_msg, sizeof(in->pend_msg), "read error: %s", strerror(errno));
	} else {
		/* gzdopen'ed streams prefix their messages with "<fd:N>: " */
		const char *c = strncmp(m, "<fd:", 4) ? NULL : strstr(m, ">: ");
		if (c)
			m = c + 3;
		in->pend_code = IOM_EFORMAT;
		snprintf(in->pend_msg, sizeof(in->pend_msg), "%s gzip stream (zlib: %s)",
			 errnum == Z_BUF_ERROR ? "truncated" : "corrupt", m);
	}
}

void trc_in_fill(struct trc_in *in, size_t want)
{
	if (in->eof || trc_in_avail(in) >= want)
		return;
	size_t keep = trc_in_avail(in);
	memmove(in->buf, in->buf + in->pos, keep);
	in->pos = 0, in->len = keep;
	while (in->len < in->cap && in->len < want) {
		int n = gzread(in->gz, in->buf + in->len, (unsigned)(in->cap - in->len));
		if (n <= 0) {
			in->eof = true;
			in_error(in);
			break;
		}
		in->len += (size_t)n;
	}
	memset(in->buf + in->len, 0, TRC_IN_PAD);
}

/* ------------------------------------------------------------------ */
/* producer                                                            */

static int reader_decode(struct trc_src *s, struct iom_rec *r, uint64_t *loc, struct iom_err *e)
{
	return s->enc == IOM_TRACE_BINARY ? trc_bin_next(s, r, loc, e) : trc_text_next(s, r, loc, e);
}

static void reader_fill_batch(struct iom_trace_reader *t, struct reader_batch *b)
{
	b->n = 0;
	b->status = 1;
	while (b->n < READER_BATCH) {
		int rc = reader_decode(&t->src, &b->recs[b->n], &b->locs[b->n], &b->err);
		if (rc <= 0) {
			b->status = rc;
			break;
		}
		b->n++;
	}
	b->skipped = t->src.skipped;
}

static void *reader_thread(void *arg)
{
	struct iom_trace_reader *t = arg;
	unsigned tail = 0;
	for (;;) {
		pthread_mutex_lock(&t->lock);
		while (t->fill == READER_NBATCH && !t->stop)
			pthread_cond_wait(&t->space, &t->lock);
		bool stop = t->stop;
		pthread_mutex_unlock(&t->lock);
		if (stop)
			return NULL;
		struct reader_batch *b = &t->ring[tail];
		reader_fill_batch(t, b); /* outside the lock: the slow part */
		tail = (tail + 1) % READER_NBATCH;
		pthread_mutex_lock(&t->lock);
		t->fill++;
		pthread_cond_signal(&t->ready);
		pthread_mutex_unlock(&t->lock);
		if (b->status <= 0)
			return NULL;
	}
}

/* ------------------------------------------------------------------ */
/* open                                                                */

static int reader_open_fd(const char *path, const char *name, int *fd, struct iom_err *err)
{
	if (!strcmp(path, "-"))
		*fd = dup(0);
	else
		*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return iom_err_set(err, IOM_EIO, "%s: %s", name, strerror(errno));
	return 0;
}

/* Detect the encoding from the first decompressed bytes. */
static int reader_detect(struct iom_trace_reader *t, struct iom_err *err)
{
	struct trc_in *in = &t->src.in;
	trc_in_fill(in, 64);
	size_t n = trc_in_avail(in);
	if (n == 0 && in->pend_code)
		return iom_err_set(err, in->pend_code, "%s: %s", in->name, in->pend_msg);
	if (n == 0)
		return iom_err_set(err, IOM_EFORMAT, "%s: empty trace", in->name);
	const unsigned char *p = in->buf + in->pos;
	if (n >= 8 && !memcmp(p, TRC_BIN_MAGIC, 8)) {
		t->src.enc = IOM_TRACE_BINARY;
		return 0;
	}
	t->src.enc = IOM_TRACE_TEXT;
	if (gzdirect(in->gz))
		return 0;
	/* gzip but not IOMTRACE: accept only what looks like a text trace */
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i == n || p[i] == '#')
		return 0;
	return iom_err_set(err, IOM_EFORMAT, "%s: not an iommusim binary trace (bad magic)",
			   in->name);
}

static int reader_start_thread(struct iom_trace_reader *t, struct iom_err *err)
{
	t->ring = calloc(READER_NBATCH, sizeof(*t->ring));
	if (!t->ring)
		return iom_err_set(err, IOM_ENOMEM, "%s: out of memory", t->name);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->ready, NULL);
	pthread_cond_init(&t->space, NULL);
	int rc = pthread_create(&t->thread, NULL, reader_thread, t);
	if (rc) {
		free(t->ring);
		t->ring = NULL;
		return iom_err_set(err, IOM_ENOMEM, "%s: cannot start decode thread: %s", t->name,
				   strerror(rc));
	}
	return 0;
}

static int reader_init(struct iom_trace_reader *t, const char *path, struct iom_err *err)
{
	int fd;
	int rc = reader_open_fd(path, t->name, &fd, err);
	if (rc)
		return rc;
	struct stat st;
	t->fd = fd;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode))
		t->file_size = (uint64_t)st.st_size;
	t->src.in.gz = gzdopen(fd, "rb");
	if (!t->src.in.gz) {
		close(fd);
		return iom_err_set(err, IOM_ENOMEM, "%s: cannot open gzip layer", t->name);
	}
	gzbuffer(t->src.in.gz, READER_GZBUF);
	t->src.in.cap = READER_BUF;
	t->src.in.buf = calloc(1, READER_BUF + TRC_IN_PAD);
	if (!t->src.in.buf)
		return iom_err_set(err, IOM_ENOMEM, "%s: out of memory", t->name);
	rc = reader_detect(t, err);
	if (!rc)
		rc = t->src.enc == IOM_TRACE_BINARY ? trc_bin_start(&t->src, err)
						    : trc_text_start(&t->src, err);
	if (!rc && t->threaded)
		rc = reader_start_thread(t, err);
	return rc;
}

struct iom_trace_reader *iom_trace_open(const char *path, const struct iom_trace_reader_opts *o,
					struct iom_err *err)
{
	if (!path) {
		iom_err_set(err, IOM_EINVAL, "trace: no path");
		return NULL;
	}
	/* aligned: the groups of fields must really sit on separate lines */
	struct iom_trace_reader *t = aligned_alloc(64, (sizeof(*t) + 63) / 64 * 64);
	if (t)
		memset(t, 0, sizeof(*t));
	if (t)
		t->name = strdup(strcmp(path, "-") ? path : "<stdin>");
	if (!t || !t->name) {
		free(t);
		iom_err_set(err, IOM_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	t->src.in.name = t->name;
	t->threaded = o ? o->threaded : true;
	t->src.skip_bad = o ? o->skip_bad : false;
	t->status = 1;
	if (reader_init(t, path, err)) {
		iom_trace_close(t);
		return NULL;
	}
	return t;
}

/* ------------------------------------------------------------------ */
/* consumer                                                            */

/* Make the head batch have a record or a final status.  `holding` is
 * consumer-only state, so the fast path takes no lock. */
static struct reader_batch *reader_head(struct iom_trace_reader *t)
{
	struct reader_batch *b = &t->ring[t->head];
	if (t->holding && (t->pos < b->n || b->status <= 0))
		return b;
	if (t->holding && t->locp) { /* keep the last location past the hand-back */
		t->loc = *t->locp;
		t->locp = &t->loc;
	}
	pthread_mutex_lock(&t->lock);
	if (t->holding) { /* done with this batch: hand it back */
		t->fill--;
		t->head = (t->head + 1) % READER_NBATCH;
		t->pos = 0;
		t->holding = false;
		pthread_cond_signal(&t->space);
	}
	while (!t->fill)
		pthread_cond_wait(&t->ready, &t->lock);
	t->holding = true;
	pthread_mutex_unlock(&t->lock);
	b = &t->ring[t->head];
	t->skipped = b->skipped;
	return b;
}

static int reader_next_threaded(struct iom_trace_reader *t, const struct iom_rec **rec)
{
	struct reader_batch *b = reader_head(t);
	if (t->pos < b->n) {
		*rec = &b->recs[t->pos];
		t->locp = &b->locs[t->pos++]; /* read only when asked (iom_trace_where) */
		return 1;
	}
	if (b->status < 0)
		t->err = b->err;
	return b->status;
}

int iom_trace_next_ref(struct iom_trace_reader *t, const struct iom_rec **rec, struct iom_err *err)
{
	if (t->status <= 0)
		goto ended;
	int rc;
	if (t->threaded) {
		rc = reader_next_threaded(t, rec);
	} else {
		rc = reader_decode(&t->src, &t->one, &t->loc, &t->err);
		t->locp = &t->loc;
		t->skipped = t->src.skipped;
		*rec = &t->one;
	}
	if (rc > 0) {
		t->records++;
		return 1;
	}
	t->status = rc;
ended:
	if (t->status < 0 && err)
		*err = t->err;
	return t->status;
}

int iom_trace_next(struct iom_trace_reader *t, struct iom_rec *rec, struct iom_err *err)
{
	const struct iom_rec *p = NULL;
	int rc = iom_trace_next_ref(t, &p, err);
	if (rc == 1)
		*rec = *p;
	return rc;
}

enum iom_trace_enc iom_trace_encoding(const struct iom_trace_reader *t)
{
	return t->src.enc;
}

uint64_t iom_trace_records(const struct iom_trace_reader *t)
{
	return t->records;
}

uint64_t iom_trace_skipped(const struct iom_trace_reader *t)
{
	return t->skipped;
}

const char *iom_trace_where(const struct iom_trace_reader *t)
{
	struct iom_trace_reader *m = (struct iom_trace_reader *)t; /* cache only */
	if (t->locp)
		m->loc = *t->locp;
	if (t->src.enc == IOM_TRACE_BINARY)
		snprintf(m->where, sizeof(m->where), "%s: record %llu", t->name,
			 (unsigned long long)t->loc);
	else
		snprintf(m->where, sizeof(m->where), "%s:%llu", t->name, (unsigned long long)t->loc);
	return m->where;
}

void iom_trace_close(struct iom_trace_reader *t)
{
	if (!t)
		return;
	if (t->ring) {
		pthread_mutex_lock(&t->lock);
		t->stop = true;
		pthread_cond_signal(&t->space);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->thread, NULL);
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->ready);
		pthread_cond_destroy(&t->space);
		free(t->ring);
	}
	if (t->src.in.gz)
		gzclose(t->src.in.gz);
	free(t->src.in.buf);
	free(t->name);
	free(t);
}

double iom_trace_progress(const struct iom_trace_reader *r)
{
	if (!r->file_size)
		return -1;
	/* The offset zlib has read up to (ahead of the records handed out by at
	 * most the decode-ahead ring): good enough for a progress line. */
	off_t pos = lseek(r->fd, 0, SEEK_CUR);
	if (pos < 0)
		return -1;
	double f = (double)pos / (double)r->file_size;
	return f > 1 ? 1 : f;
}
