/*
 * spam_bayes.c - the classifier's combiner (spam.h, "classifier"):
 * Robinson's token probability with its prior (f(w) = (s*x + n*p(w)) /
 * (s + n)) and Fisher's chi-square combination of the strongest tokens
 * (Robinson 2003, "A statistical approach to the spam problem"; the same
 * method and constants as SpamBayes: s = 0.45, x = 0.5, tokens within 0.1
 * of 0.5 ignored; at most 300 used, not 150: measured by cross-validation,
 * docs/SPAM.md).  The result is an indicator in
 * [0, 1]: near 0 ham, near 1 spam, around 0.5 unsure (both or neither
 * hypothesis fits).  Pure arithmetic on counts; the counts come from the
 * store (classify.c).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "postern/spam.h"

#define S_STRENGTH 0.45
#define X_PRIOR 0.5
#define MIN_STRENGTH 0.1

double
spam_bayes_chi2q(double x2, unsigned v)
{
	double m = x2 / 2.0, sum, term;

	if (v == 0 || (v & 1) != 0 || x2 < 0)
		return 1.0;
	sum = term = exp(-m);
	for (unsigned i = 1; i < v / 2; i++) {
		term *= m / i;
		sum += term;
	}
	return sum < 1.0 ? sum : 1.0;
}

double
spam_bayes_token_prob(int64_t spam, int64_t ham, int64_t nspam, int64_t nham)
{
	double sr, hr, p, n;

	if (spam < 0)
		spam = 0;
	if (ham < 0)
		ham = 0;
	if (nspam <= 0 || nham <= 0 || spam + ham == 0)
		return X_PRIOR;
	sr = (double)(spam < nspam ? spam : nspam) / (double)nspam;
	hr = (double)(ham < nham ? ham : nham) / (double)nham;
	p = sr / (sr + hr);
	n = (double)(spam + ham);
	return (S_STRENGTH * X_PRIOR + n * p) / (S_STRENGTH + n);
}

/* The strongest first; equally strong ones by probability, so that the
 * tokens combined do not depend on the order they came in. */
static int
by_strength(const void *a, const void *b)
{
	double p = *(const double *)a, q = *(const double *)b;
	double x = fabs(p - 0.5), y = fabs(q - 0.5);

	if (x != y)
		return x < y ? 1 : -1;
	return p < q ? -1 : p > q ? 1 : 0;
}

double
spam_bayes_combine(const int64_t *spam, const int64_t *ham, size_t n, int64_t nspam,
    int64_t nham, unsigned *used)
{
	double *f = xcalloc(n > 0 ? n : 1, sizeof(*f)), lnh = 0, lns = 0, hp, sp;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		double p = spam_bayes_token_prob(spam[i], ham[i], nspam, nham);
		if (fabs(p - 0.5) >= MIN_STRENGTH)
			f[k++] = p;
	}
	qsort(f, k, sizeof(*f), by_strength);
	if (k > SPAM_BAYES_MAX_DISCRIM)
		k = SPAM_BAYES_MAX_DISCRIM;
	*used = (unsigned)k;
	if (k == 0) {
		free(f);
		return 0.5;
	}
	for (size_t i = 0; i < k; i++) {
		double p = f[i] < 1e-9 ? 1e-9 : f[i] > 1 - 1e-9 ? 1 - 1e-9 : f[i];
		lnh += log(p);         /* ham evidence: the product of p */
		lns += log(1.0 - p);   /* spam evidence: the product of 1 - p */
	}
	free(f);
	sp = 1.0 - spam_bayes_chi2q(-2.0 * lns, 2 * (unsigned)k);
	hp = 1.0 - spam_bayes_chi2q(-2.0 * lnh, 2 * (unsigned)k);
	return (sp - hp + 1.0) / 2.0;
}

/* The rule for an indicator: the bands of spam.h. */
size_t
spam_bayes_rule(double p)
{
	if (p < 0.01)
		return SR_BAYES_00;
	if (p < 0.10)
		return SR_BAYES_05;
	if (p < 0.40)
		return SR_BAYES_20;
	if (p <= 0.60)
		return SR_BAYES_50;
	if (p < 0.90)
		return SR_BAYES_80;
	if (p < 0.99)
		return SR_BAYES_95;
	if (p < 0.999)
		return SR_BAYES_99;
	return SR_BAYES_999;
}
