/*
 * A small multi-threaded workload for the bundled `threads` trace: eight threads, each with
 * its own glibc malloc arena (mmap'd, trimmed and mprotect'd by glibc), each allocating,
 * freeing and mapping/unmapping some memory of its own; then the main thread joins them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define THREADS 8

static void *work(void *arg)
{
	long id = (long)arg;
	void *blocks[64];
	size_t sum = 0;
	int i;

	for (i = 0; i < 64; i++) {
		size_t size = (size_t)(1 + (i * 37 + id * 11) % 50) * 1024;
		if (i % 16 == 7)
			size = (size_t)(256 + id * 64) * 1024; /* above the mmap threshold */
		blocks[i] = malloc(size);
		memset(blocks[i], (int)i, size);
		sum += size;
	}
	for (i = 0; i < 64; i += 2)
		free(blocks[i]);

	/* a private mapping with a guard page in the middle, then partly unmapped */
	char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		memset(p, 1, 16 * 4096);
		mprotect(p + 8 * 4096, 4096, PROT_NONE);
		munmap(p + 12 * 4096, 4 * 4096);
	}
	for (i = 1; i < 64; i += 2)
		free(blocks[i]);
	return (void *)sum;
}

int main(void)
{
	pthread_t t[THREADS];
	size_t total = 0;
	long i;

	for (i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, work, (void *)i) != 0)
			return 1;
	for (i = 0; i < THREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		total += (size_t)r;
	}
	printf("%zu bytes allocated by %d threads\n", total, THREADS);
	return 0;
}
