/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer.c - trace writers for both encodings of format v1: canonical text
 * (header, then one iom_rec_format line per record) and gzip binary
 * (header, varint records, END record with the count).
 *
 * Every record is checked with iom_rec_validate and for time order before
 * it is written, so a writer only produces traces its reader accepts.  A
 * record without t gets the previous record's time (the canonical form
 * always carries t).  Output is staged in a 64 KiB buffer; write errors
 * (disk full, gzclose failure) are reported by iom_trace_write when the
 * buffer is flushed, and at the latest by iom_trace_finish.
 * Does not: append to an existing trace.  Timing: none.
 */
#include "trace-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WRITER_BUF (64u << 10)

struct iom_trace_writer {
	enum iom_trace_enc enc;
	char *name;
	FILE *f;   /* text */
	gzFile gz; /* binary */
	uint64_t records, last_time;
	int failed; /* sticky -IOM_E* after a write error */
	size_t len;
	uint8_t buf[WRITER_BUF];
};

static int writer_io_error(struct iom_trace_writer *w, struct iom_err *err)
{
	if (w->enc == IOM_TRACE_BINARY) {
		int errnum = Z_OK;
		const char *m = gzerror(w->gz, &errnum);
		w->failed = iom_err_set(err, IOM_EIO, "%s: write error: %s", w->name,
					errnum == Z_ERRNO ? strerror(errno) : m);
	} else {
		w->failed = iom_err_set(err, IOM_EIO, "%s: write error: %s", w->name, strerror(errno));
	}
	return w->failed;
}

static int writer_flush(struct iom_trace_writer *w, struct iom_err *err)
{
	if (!w->len)
		return 0;
	bool ok = w->enc == IOM_TRACE_BINARY ? gzwrite(w->gz, w->buf, (unsigned)w->len) == (int)w->len
					     : fwrite(w->buf, 1, w->len, w->f) == w->len;
	w->len = 0;
	return ok ? 0 : writer_io_error(w, err);
}

static int writer_put(struct iom_trace_writer *w, const void *p, size_t n, struct iom_err *err)
{
	if (w->len + n > WRITER_BUF) {
		int rc = writer_flush(w, err);
		if (rc)
			return rc;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

static int writer_open(struct iom_trace_writer *w, const char *path, int level, struct iom_err *err)
{
	int fd = strcmp(path, "-") ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
				   : dup(1);
	if (fd < 0)
		return iom_err_set(err, IOM_EIO, "%s: %s", w->name, strerror(errno));
	if (w->enc == IOM_TRACE_BINARY) {
		char mode[8];
		snprintf(mode, sizeof(mode), "wb%d", level);
		w->gz = gzdopen(fd, mode);
		if (w->gz)
			gzbuffer(w->gz, 256u << 10);
	} else {
		w->f = fdopen(fd, "w");
	}
	if (!w->gz && !w->f) {
		close(fd);
		return iom_err_set(err, IOM_ENOMEM, "%s: cannot open output stream", w->name);
	}
	if (w->enc == IOM_TRACE_BINARY) {
		uint8_t h[TRC_BIN_HDR];
		trc_bin_header(h);
		return writer_put(w, h, sizeof(h), err);
	}
	return writer_put(w, TRC_TEXT_HEADER "\n", sizeof(TRC_TEXT_HEADER), err);
}

struct iom_trace_writer *iom_trace_create(const char *path, enum iom_trace_enc enc, int level,
					  struct iom_err *err)
{
	if (!path || (enc != IOM_TRACE_TEXT && enc != IOM_TRACE_BINARY) || level < 0 || level > 9) {
		iom_err_set(err, IOM_EINVAL, "trace writer: bad argument (path %s, encoding %d, level %d)",
			    path ? path : "NULL", (int)enc, level);
		return NULL;
	}
	struct iom_trace_writer *w = calloc(1, sizeof(*w));
	if (w)
		w->name = strdup(strcmp(path, "-") ? path : "<stdout>");
	if (!w || !w->name) {
		free(w);
		iom_err_set(err, IOM_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	w->enc = enc;
	if (writer_open(w, path, level ? level : 6, err)) {
		if (w->gz)
			gzclose(w->gz);
		if (w->f)
			fclose(w->f);
		free(w->name);
		free(w);
		return NULL;
	}
	return w;
}

int iom_trace_write(struct iom_trace_writer *w, const struct iom_rec *rec, struct iom_err *err)
{
	if (w->failed)
		return iom_err_set(err, -w->failed, "%s: earlier write error", w->name);
	struct iom_rec r = *rec;
	if (!(r.present & IOM_F_TIME)) {
		r.time_ps = w->last_time;
		r.present |= IOM_F_TIME;
	}
	int rc = iom_rec_validate(&r, err);
	if (rc)
		return iom_err_prefix(err, "%s: record %llu", w->name,
				      (unsigned long long)w->records + 1);
	if (r.time_ps < w->last_time)
		return iom_err_set(err, IOM_EFORMAT,
				   "%s: record %llu: time goes backwards (%llu ps < previous %llu ps)",
				   w->name, (unsigned long long)w->records + 1,
				   (unsigned long long)r.time_ps, (unsigned long long)w->last_time);
	if (w->len + TRC_FMT_MAX > WRITER_BUF && (rc = writer_flush(w, err)))
		return rc;
	if (w->enc == IOM_TRACE_BINARY) {
		w->len += trc_bin_encode(&r, w->last_time, w->buf + w->len);
	} else {
		w->len += (size_t)iom_rec_format(&r, (char *)w->buf + w->len, TRC_FMT_MAX);
		w->buf[w->len++] = '\n';
	}
	w->last_time = r.time_ps;
	w->records++;
	return 0;
}

int iom_trace_comment(struct iom_trace_writer *w, const char *text, struct iom_err *err)
{
	if (w->enc != IOM_TRACE_TEXT)
		return iom_err_set(err, IOM_EINVAL, "%s: comments exist only in text traces", w->name);
	if (strchr(text, '\n'))
		return iom_err_set(err, IOM_EINVAL, "%s: comment must be one line", w->name);
	int rc = writer_put(w, "# ", 2, err);
	if (!rc)
		rc = writer_put(w, text, strlen(text), err);
	if (!rc)
		rc = writer_put(w, "\n", 1, err);
	return rc;
}

static int writer_close_binary(struct iom_trace_writer *w, struct iom_err *err)
{
	uint8_t end[16];
	end[0] = TRC_BIN_END;
	size_t n = 1 + trc_leb_put(end + 1, w->records);
	int rc = w->failed ? iom_err_set(err, -w->failed, "%s: earlier write error", w->name)
			   : writer_put(w, end, n, err);
	if (!rc)
		rc = writer_flush(w, err);
	int zrc = gzclose(w->gz);
	if (!rc && zrc != Z_OK)
		rc = iom_err_set(err, IOM_EIO, "%s: write error on close: %s", w->name,
				 zrc == Z_ERRNO ? strerror(errno) : zError(zrc));
	return rc;
}

static int writer_close_text(struct iom_trace_writer *w, struct iom_err *err)
{
	int rc = w->failed ? iom_err_set(err, -w->failed, "%s: earlier write error", w->name)
			   : writer_flush(w, err);
	if (!rc && fflush(w->f))
		rc = writer_io_error(w, err);
	if (fclose(w->f) && !rc)
		rc = iom_err_set(err, IOM_EIO, "%s: write error on close: %s", w->name, strerror(errno));
	return rc;
}

int iom_trace_finish(struct iom_trace_writer *w, struct iom_err *err)
{
	if (!w)
		return iom_err_set(err, IOM_EINVAL, "trace writer: NULL");
	int rc = w->enc == IOM_TRACE_BINARY ? writer_close_binary(w, err) : writer_close_text(w, err);
	free(w->name);
	free(w);
	return rc;
}
