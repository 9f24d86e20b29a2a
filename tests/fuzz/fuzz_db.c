/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's DB loader on an arbitrary file.  A file that loads must save
 * and load back as the same configuration, and the second save must write
 * the very same bytes as the first (the saved form is canonical).  A file
 * that does not load gets an error naming the file.
 */
#include <errno.h>
#include <fcntl.h>

#include "fuzz_db.h"

static void
write_all(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "w");

	FUZZ_CHECK(f != NULL, "cannot create %s", path);
	FUZZ_CHECK(fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write %s", path);
}

/* The whole file (malloc'd, NUL-terminated). */
static char *
read_all(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len), *f = fopen(path, "r");
	int ch;

	FUZZ_CHECK(m != NULL && f != NULL, "cannot read %s", path);
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(f);
	fclose(m);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char in[128], out[128];
	struct sl_db db, back, again;
	char err[1024], *first, *second;
	int rc;

	if (in[0] == '\0') {
		fuzz_path(in, sizeof(in), "in.db");
		fuzz_path(out, sizeof(out), "out.db");
	}
	write_all(in, data, size);
	err[0] = '\0';
	rc = sl_db_load(&db, in, err, sizeof(err));
	if (rc < 0) {
		FUZZ_CHECK(rc != -ENOMEM, "out of memory");
		FUZZ_CHECK(strncmp(err, in, strlen(in)) == 0 && strstr(err, ":") != NULL,
			   "error does not name the file and line: \"%s\"", err);
		return 0;
	}
	/* Save elsewhere: the input file stays as the fuzzer wrote it. */
	free(db.path);
	db.path = strdup(out);
	fuzz_db_save_load(&db, &back, "load, save, load");
	first = read_all(out);
	fuzz_db_save_load(&back, &again, "and once more");
	second = read_all(out);
	FUZZ_CHECK(strcmp(first, second) == 0, "saving what was loaded changes the file:\n%s\n---\n%s",
		   first, second);
	free(first);
	free(second);
	sl_db_fini(&again);
	sl_db_fini(&back);
	sl_db_fini(&db);
	return 0;
}
