/*
 * explain.h - `postern explain`: the pipeline run offline on one message.
 */
#ifndef POSTERN_EXPLAIN_H
#define POSTERN_EXPLAIN_H

/* argv[0] is "explain".  Returns the process exit status. */
int explain_main(int argc, char **argv, const char *default_conf);

#endif
