/*
 * maple_capture.so: an LD_PRELOAD helper that records a process's address space at the
 * start and at the end of a strace capture, for `maple-vma replay`.
 *
 * In every process that loads it (LD_PRELOAD is inherited across fork and execve):
 *   - the constructor writes /proc/self/maps to $MAPLE_CAPTURE_DIR/<pid>.start.maps, then
 *     makes the START marker call;
 *   - the destructor (run by exit(), after the program's atexit handlers) makes the END
 *     marker call, then writes /proc/self/maps to $MAPLE_CAPTURE_DIR/<pid>.end.maps.
 *
 * A marker is `madvise(MARKER_ADDR, 0, MADV_NORMAL)`: a zero-length madvise changes nothing,
 * but strace's %memory class records it, so the log shows exactly where each dump was
 * taken. The replayer starts after a process's START marker from <pid>.start.maps and stops
 * at its END marker, where <pid>.end.maps must match.
 *
 * The dumps use only open/read/write/close on a stack buffer: no malloc, no stdio, so taking
 * them makes no memory system call that the dump itself would not show.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* "mapl" in ASCII, shifted to a page boundary; keep in sync with vma/src/replay/strace.rs. */
#define MARKER_START 0x6d61706c0000UL
#define MARKER_END 0x6d61706c1000UL

static void marker(unsigned long addr)
{
	syscall(SYS_madvise, addr, 0UL, MADV_NORMAL);
}

static void put_dec(char *buf, size_t *at, unsigned long v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[(*at)++] = tmp[--n];
}

static void dump_maps(const char *suffix)
{
	const char *dir = getenv("MAPLE_CAPTURE_DIR");
	char path[4096], buf[16384];
	size_t at = 0, i;
	int in, out;
	ssize_t n;

	if (!dir)
		return;
	for (i = 0; dir[i] && at < sizeof(path) - 64; i++)
		path[at++] = dir[i];
	path[at++] = '/';
	put_dec(path, &at, (unsigned long)getpid());
	for (i = 0; suffix[i]; i++)
		path[at++] = suffix[i];
	path[at] = 0;

	in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				break;
		close(out);
	}
	close(in);
}

__attribute__((constructor)) static void maple_capture_start(void)
{
	dump_maps(".start.maps");
	marker(MARKER_START);
}

__attribute__((destructor)) static void maple_capture_end(void)
{
	marker(MARKER_END);
	dump_maps(".end.maps");
}
