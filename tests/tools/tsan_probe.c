/*
 * tsan_probe.c - a deliberate data race, built only by tests/tsan.sh with
 * -fsanitize=thread: the pass checks that a race in code postern builds is
 * reported and classified as postern's, so a clean pass means something.
 * Not part of postern.
 */
#include <pthread.h>
#include <stdio.h>

static int shared;

static void *
bump(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		shared++;   /* unsynchronised on purpose */
	return NULL;
}

int
main(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, bump, NULL);
	pthread_create(&b, NULL, bump, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("%d\n", shared);
	return 0;
}
