/* SPDX-License-Identifier: ISC */
/*
 * The event loop: epoll for descriptors (the watcher itself is the epoll
 * data pointer), a binary min-heap of timers ordered by (deadline, arming
 * order), and signalfd for signals.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"

#define EV_BATCH	256

struct ev_sig {
	ev_signal_cb	 cb;
	void		*arg;
};

struct ev {
	int			 epfd;
	int			 sigfd;
	sigset_t		 sigmask;
	struct ev_io		 sigio;
	struct ev_sig		 sig[_NSIG];

	struct ev_timer		**heap;
	size_t			 nheap, heapcap;
	uint64_t		 seq;

	size_t			 nio;	/* started, sigio not counted */
	uint64_t		 now;
	bool			 running;
	bool			 brk;

	/* The batch being dispatched: ev_io_stop() clears its entries. */
	struct epoll_event	 evs[EV_BATCH];
	int			 nevs, cur;
};

uint64_t
ev_monotonic_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
ev_realtime_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
ev_now_us(const struct ev *ev)
{
	return ev->now;
}

uint64_t
ev_now_ms(const struct ev *ev)
{
	return ev->now / 1000u;
}

struct ev *
ev_new(void)
{
	struct ev	*ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return NULL;
	ev->sigfd = -1;
	sigemptyset(&ev->sigmask);
	if ((ev->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		int saved = errno;

		free(ev);
		errno = saved;
		return NULL;
	}
	ev->now = ev_monotonic_us();
	return ev;
}

void
ev_free(struct ev *ev)
{
	size_t	i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nheap; i++)
		ev->heap[i]->slot = 0;
	free(ev->heap);
	if (ev->sigfd != -1) {
		close(ev->sigfd);
		sigprocmask(SIG_UNBLOCK, &ev->sigmask, NULL);
	}
	close(ev->epfd);
	free(ev);
}

int
ev_io_start(struct ev *ev, struct ev_io *io, int fd, uint32_t events,
    ev_io_cb cb, void *arg)
{
	struct epoll_event	ee;

	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = io;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &ee) == -1)
		return -errno;
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->arg = arg;
	io->active = true;
	if (io != &ev->sigio)
		ev->nio++;
	return 0;
}

int
ev_io_mod(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct epoll_event	ee;

	if (!io->active)
		return -EINVAL;
	if (events == io->events)
		return 0;
	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = io;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_MOD, io->fd, &ee) == -1)
		return -errno;
	io->events = events;
	return 0;
}

/* Stopped: not counted, its pending events in this batch dropped (the
 * watcher may be freed after this). */
static void
io_drop(struct ev *ev, struct ev_io *io)
{
	int	i;

	io->active = false;
	if (io != &ev->sigio)
		ev->nio--;
	for (i = ev->cur + 1; i < ev->nevs; i++)
		if (ev->evs[i].data.ptr == io)
			ev->evs[i].data.ptr = NULL;
}

int
ev_io_stop(struct ev *ev, struct ev_io *io)
{
	int	ret = 0;

	if (!io->active)
		return 0;
	/*
	 * A descriptor closed before its watcher was stopped has already
	 * left the epoll set (EBADF, or ENOENT if its number was reused).
	 */
	if (epoll_ctl(ev->epfd, EPOLL_CTL_DEL, io->fd, NULL) == -1 &&
	    errno != EBADF && errno != ENOENT)
		ret = -errno;
	io_drop(ev, io);
	return ret;
}

void
ev_io_forget(struct ev *ev, struct ev_io *io)
{
	if (io->active)
		io_drop(ev, io);
}

/* Heap order: earlier deadline first, then earlier arming. */
static bool
timer_before(const struct ev_timer *a, const struct ev_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void
heap_set(struct ev *ev, size_t i, struct ev_timer *t)
{
	ev->heap[i] = t;
	t->slot = i + 1;
}

static void
heap_up(struct ev *ev, size_t i)
{
	struct ev_timer	*t = ev->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_before(t, ev->heap[parent]))
			break;
		heap_set(ev, i, ev->heap[parent]);
		i = parent;
	}
	heap_set(ev, i, t);
}

static void
heap_down(struct ev *ev, size_t i)
{
	struct ev_timer	*t = ev->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= ev->nheap)
			break;
		if (c + 1 < ev->nheap &&
		    timer_before(ev->heap[c + 1], ev->heap[c]))
			c++;
		if (!timer_before(ev->heap[c], t))
			break;
		heap_set(ev, i, ev->heap[c]);
		i = c;
	}
	heap_set(ev, i, t);
}

void
ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->cb = cb;
	t->arg = arg;
}

bool
ev_timer_pending(const struct ev_timer *t)
{
	return t->slot != 0;
}

void
ev_timer_stop(struct ev *ev, struct ev_timer *t)
{
	size_t	i;

	if (t->slot == 0)
		return;
	i = t->slot - 1;
	t->slot = 0;
	if (--ev->nheap == i)
		return;
	heap_set(ev, i, ev->heap[ev->nheap]);
	if (i > 0 && timer_before(ev->heap[i], ev->heap[(i - 1) / 2]))
		heap_up(ev, i);
	else
		heap_down(ev, i);
}

int
ev_timer_start(struct ev *ev, struct ev_timer *t, uint64_t ms)
{
	/* Outside the loop the cached time may be old: refresh it. */
	if (!ev->running)
		ev->now = ev_monotonic_us();
	if (ms > (UINT64_MAX - ev->now) / 1000u)
		ms = (UINT64_MAX - ev->now) / 1000u;	/* never, in effect */
	if (t->slot == 0 && ev->nheap == ev->heapcap) {
		struct ev_timer	**nh;
		size_t		  ncap;

		ncap = ev->heapcap ? ev->heapcap * 2 : 64;
		if ((nh = reallocarray(ev->heap, ncap, sizeof(*nh))) == NULL)
			return -ENOMEM;
		ev->heap = nh;
		ev->heapcap = ncap;
	}
	ev_timer_stop(ev, t);
	t->when = ev->now + ms * 1000u;
	t->seq = ev->seq++;
	heap_set(ev, ev->nheap++, t);
	heap_up(ev, ev->nheap - 1);
	return 0;
}

static void
sig_read(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct signalfd_siginfo	si[16];
	ssize_t			n;
	size_t			i;

	for (;;) {
		n = read(ev->sigfd, si, sizeof(si));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			unsigned int s = si[i].ssi_signo;

			if (s < _NSIG && ev->sig[s].cb != NULL)
				ev->sig[s].cb(ev, (int)s, ev->sig[s].arg);
		}
	}
}

int
ev_signal(struct ev *ev, int signo, ev_signal_cb cb, void *arg)
{
	sigset_t	set;
	int		fd;

	if (signo <= 0 || signo >= _NSIG || signo == SIGKILL ||
	    signo == SIGSTOP)
		return -EINVAL;
	set = ev->sigmask;
	if (sigaddset(&set, signo) == -1)
		return -errno;
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -errno;
	fd = signalfd(ev->sigfd, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd == -1)
		return -errno;
	ev->sigmask = set;
	ev->sig[signo].cb = cb;
	ev->sig[signo].arg = arg;
	if (ev->sigfd == -1) {
		int r;

		ev->sigfd = fd;
		if ((r = ev_io_start(ev, &ev->sigio, fd, EPOLLIN, sig_read,
		    NULL)) != 0) {
			close(fd);
			ev->sigfd = -1;
			return r;
		}
	}
	return 0;
}

void
ev_break(struct ev *ev)
{
	ev->brk = true;
}

/* Milliseconds until the first timer, rounded up; -1 when none. */
static int
next_timeout(const struct ev *ev)
{
	uint64_t	when, d;

	if (ev->nheap == 0)
		return -1;
	when = ev->heap[0]->when;
	if (when <= ev->now)
		return 0;
	d = (when - ev->now + 999u) / 1000u;
	return d > INT_MAX ? INT_MAX : (int)d;
}

static void
run_timers(struct ev *ev)
{
	uint64_t	limit = ev->seq;

	/*
	 * Only timers armed before this pass fire in it: one re-armed for
	 * 0 ms from its own callback waits for the next wake-up.
	 */
	while (ev->nheap > 0 && !ev->brk) {
		struct ev_timer *t = ev->heap[0];

		if (t->when > ev->now || t->seq >= limit)
			break;
		ev_timer_stop(ev, t);
		t->cb(ev, t);
	}
}

int
ev_run(struct ev *ev)
{
	int	n, ret = 0;

	ev->brk = false;
	ev->running = true;
	ev->now = ev_monotonic_us();
	while (!ev->brk && (ev->nio > 0 || ev->nheap > 0)) {
		n = epoll_wait(ev->epfd, ev->evs, EV_BATCH, next_timeout(ev));
		if (n == -1 && errno != EINTR) {
			ret = -errno;
			break;
		}
		ev->now = ev_monotonic_us();
		ev->nevs = n > 0 ? n : 0;
		for (ev->cur = 0; ev->cur < ev->nevs && !ev->brk; ev->cur++) {
			struct ev_io *io = ev->evs[ev->cur].data.ptr;

			if (io != NULL)
				io->cb(ev, io, ev->evs[ev->cur].events);
		}
		ev->nevs = ev->cur = 0;
		run_timers(ev);
	}
	ev->running = false;
	return ret;
}
