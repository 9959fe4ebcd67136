/*
 * check_bayes.h - check "bayes": the trainable classifier as the message
 * streams (filter/checks/check_bayes.c over classify.h and the store).
 * Runs before check_spam, which turns its result into a bayes_* rule.
 */
#ifndef POSTERN_CHECK_BAYES_H
#define POSTERN_CHECK_BAYES_H

#include "postern/check.h"
#include "postern/classify.h"

extern const struct check check_bayes;

/* This message's classifier result at end of message; NULL when there is
 * no store configured (or the message was not classified). */
const struct bayes_result *check_bayes_result(const struct msg *m);
/* Auto-learning at end of message (check_spam, after scoring): scores[i]
 * is the spam score under m->pol[i] without the classifier's bayes_*
 * rule; learns the message if a policy's bayes.autolearn_* says so. */
void check_bayes_autolearn(struct conn *c, struct msg *m, const int *scores);
/* The current snapshot's store size as Prometheus gauges (a
 * metrics_set_source; one store call, bounded by store.timeout). */
void check_bayes_metrics(strbuf *out);
/* The snapshot's store, or NULL (check_rate shares it). */
struct store *check_bayes_store(const struct conn *c);

#endif
