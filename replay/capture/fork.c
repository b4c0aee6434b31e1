/*
 * The workload of the bundled `fork` trace: a parent maps memory (one region MADV_DONTFORK,
 * one MADV_WIPEONFORK, one shared), forks twice, and each child changes its copy of the
 * address space before exiting with exit() (so the capture helper dumps its end layout);
 * the parent waits and changes its own. Children have no start dump: their replay starts
 * from the parent's.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

static char *map(size_t pages, int prot, int flags)
{
	char *p = mmap(NULL, pages * PAGE, prot, flags | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		exit(1);
	return p;
}

static void child(char *a, char *shared, int n)
{
	/* split the inherited private mapping, grow the shared one's neighbour, remap */
	mprotect(a + PAGE * (2 + n), PAGE, PROT_READ);
	char *b = map(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	memset(b, n, 4 * PAGE);
	b = mremap(b, 4 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	munmap(shared, PAGE);
	exit(0);
}

int main(void)
{
	char *a = map(8, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *keep = map(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *wipe = map(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *shared = map(2, PROT_READ | PROT_WRITE, MAP_SHARED);
	memset(a, 1, 8 * PAGE);
	memset(keep, 2, 4 * PAGE);
	memset(wipe, 3, 4 * PAGE);
	madvise(keep, 4 * PAGE, MADV_DONTFORK);
	madvise(wipe, 4 * PAGE, MADV_WIPEONFORK);
	for (int n = 0; n < 2; n++) {
		pid_t pid = fork();
		if (pid == 0)
			child(a, shared, n);
		waitpid(pid, NULL, 0);
	}
	mprotect(a, 2 * PAGE, PROT_READ);
	munmap(wipe, PAGE);
	return 0;
}
