/* SPDX-License-Identifier: Apache-2.0 */
/*
 * files.c - the result directory's files: folders, atomic writes (a temp
 * name in the same folder, then rename(), so a killed worker never leaves a
 * half-written result), copies between result directories, and the
 * one-line .err file of a failed point.
 */
#include "sweep-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *sw_out_dir(const struct iom_sweep *sw, const struct iom_sweep_opts *o)
{
	return o && o->out_dir ? o->out_dir : sw->default_out;
}

int sw_mkdirs(const char *dir, struct iom_err *err)
{
	char *p = strdup(dir);
	if (!p)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	int r = 0;
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST) {
			r = iom_err_set(err, IOM_EIO, "cannot create folder '%s': %s", p,
					strerror(errno));
			break;
		}
		struct stat st;
		if (stat(p, &st) || !S_ISDIR(st.st_mode)) {
			r = iom_err_set(err, IOM_EIO, "'%s' is not a folder", p);
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return r;
}

int sw_write_atomic(const char *path, const char *data, size_t len, struct iom_err *err)
{
	char *tmp;
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = 0;
	if (fd < 0) {
		r = iom_err_set(err, IOM_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		free(tmp);
		return r;
	}
	for (size_t off = 0; off < len && !r;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			r = iom_err_set(err, IOM_EIO, "cannot write '%s': %s", tmp,
					strerror(errno));
		else
			off += (size_t)w;
	}
	if (close(fd) && !r)
		r = iom_err_set(err, IOM_EIO, "cannot write '%s': %s", tmp, strerror(errno));
	if (!r && rename(tmp, path))
		r = iom_err_set(err, IOM_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
				strerror(errno));
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}

int sw_read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	FILE *m = open_memstream(data, len);
	char buf[1 << 14];
	size_t got;
	while (m && (got = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, got, m);
	int bad = ferror(f) || !m;
	fclose(f);
	if (m && fclose(m))
		bad = 1;
	if (bad) {
		if (m)
			free(*data);
		*data = NULL;
		return -1;
	}
	return 0;
}

int sw_copy_file(const char *from, const char *to, struct iom_err *err)
{
	char *data;
	size_t len;
	if (sw_read_file(from, &data, &len))
		return iom_err_set(err, IOM_EIO, "cannot read '%s': %s", from, strerror(errno));
	int r = sw_write_atomic(to, data, len, err);
	free(data);
	return r;
}

int sw_read_err(const char *path, int *exit_code, char *msg, size_t sz)
{
	char *data;
	size_t len;
	if (sw_read_file(path, &data, &len))
		return -1;
	char *nl = strchr(data, '\n');
	if (nl)
		*nl = 0;
	char *end;
	long ex = strtol(data, &end, 10);
	*exit_code = end != data && ex >= 2 && ex <= 5 ? (int)ex : 5;
	const char *m = strstr(data, ": ");
	snprintf(msg, sz, "%s", m ? m + 2 : data);
	free(data);
	return 0;
}

bool sw_exists(const char *path)
{
	return access(path, F_OK) == 0;
}
