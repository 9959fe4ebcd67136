/* testutil.c - temp directories and files for unit tests. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "postern/snapshot.h"
#include "postern/util.h"

char *
tu_mkdtemp(void)
{
	const char *t = getenv("TMPDIR");
	strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "%s/postern-unit-XXXXXX", t ? t : "/tmp");
	if (mkdtemp(sb.s) == NULL)
		die("mkdtemp failed");
	return sb.s;
}

char *
tu_write(const char *dir, const char *name, const char *content)
{
	strbuf sb;
	FILE *f;

	sb_init(&sb);
	sb_printf(&sb, "%s/%s", dir, name);
	if ((f = fopen(sb.s, "w")) == NULL)
		die("cannot write %s", sb.s);
	fputs(content, f);
	fclose(f);
	return sb.s;
}

void
tu_rmdir(char *dir)
{
	strbuf cmd;

	sb_init(&cmd);
	sb_printf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd.s) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
	sb_free(&cmd);
	free(dir);
}

void
tu_install_config(const char *dir, const char *conf_text)
{
	struct ct_errors e;
	struct snapshot *s;
	char *conf = tu_write(dir, "postern.conf", conf_text);

	ct_errors_init(&e);
	s = snapshot_build(conf, &e);
	if (s == NULL)
		fail_msg("%s", e.text.s);
	snapshot_install(s);
	ct_errors_free(&e);
	free(conf);
}

int
tu_uninstall_config(char *dir)
{
	snapshot_install(NULL);
	tu_rmdir(dir);
	return 0;
}
