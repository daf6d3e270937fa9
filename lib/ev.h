/* SPDX-License-Identifier: ISC */
#ifndef EDGE_EV_H
#define EDGE_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A small epoll loop for the daemons: descriptor watchers, one-shot timers
 * on a binary heap (monotonic clock, milliseconds) and signals through
 * signalfd.  Watchers and timers are embedded in the caller's structures;
 * the loop never allocates per watcher.
 */

struct ev;
struct ev_io;
struct ev_timer;

typedef void (*ev_io_cb)(struct ev *ev, struct ev_io *io, uint32_t events);
typedef void (*ev_timer_cb)(struct ev *ev, struct ev_timer *t);
typedef void (*ev_signal_cb)(struct ev *ev, int signo, void *arg);

/*
 * Stop a watcher before closing its descriptor or freeing it; stopping is
 * safe from any callback, also for watchers whose events are still
 * pending in the current batch (they are dropped).
 */
struct ev_io {
	int		 fd;
	uint32_t	 events;	/* EPOLLIN, EPOLLOUT, ... */
	ev_io_cb	 cb;
	void		*arg;
	bool		 active;	/* between start and stop */
};

/*
 * Timers with the same deadline fire in the order they were armed.  A
 * timer re-armed for 0 ms from a callback fires on the next wake-up, not
 * in the same pass.  A callback may stop, re-arm or free any timer.
 */
struct ev_timer {
	uint64_t	 when;		/* monotonic, microseconds */
	uint64_t	 seq;		/* arming order, breaks ties */
	size_t		 slot;		/* heap index + 1; 0: not pending */
	ev_timer_cb	 cb;
	void		*arg;
};

/* NULL and errno on failure.  ev_free() closes the loop's descriptors, not
 * the watched ones, and unblocks the signals ev_signal() blocked. */
struct ev	*ev_new(void);
void		 ev_free(struct ev *ev);

/* 0 or -errno (-EEXIST: fd is already watched).  io needs no
 * initialisation; it must not be started already. */
int	ev_io_start(struct ev *ev, struct ev_io *io, int fd, uint32_t events,
	    ev_io_cb cb, void *arg);
int	ev_io_mod(struct ev *ev, struct ev_io *io, uint32_t events);
int	ev_io_stop(struct ev *ev, struct ev_io *io);
/*
 * Stop a watcher whose descriptor is about to be closed, without the
 * epoll_ctl() call: close() takes a descriptor out of the epoll set when
 * it is the last reference to its file, so use this only for descriptors
 * never dup()ed or inherited by another process, and close right after.
 */
void	ev_io_forget(struct ev *ev, struct ev_io *io);

void	ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *arg);
/* (Re)arm to fire once, ms milliseconds from now (the cached time inside
 * the loop, a fresh reading outside it).  0, or -ENOMEM. */
int	ev_timer_start(struct ev *ev, struct ev_timer *t, uint64_t ms);
void	ev_timer_stop(struct ev *ev, struct ev_timer *t);
bool	ev_timer_pending(const struct ev_timer *t);

/* Block signo and deliver it through the loop.  Signal handlers alone do
 * not keep ev_run() running.  Children started with spawn() get an empty
 * signal mask back. */
int	ev_signal(struct ev *ev, int signo, ev_signal_cb cb, void *arg);

/* The loop's cached monotonic time, updated once per wake-up. */
uint64_t ev_now_us(const struct ev *ev);
uint64_t ev_now_ms(const struct ev *ev);
/* Fresh monotonic and wall-clock readings. */
uint64_t ev_monotonic_us(void);
uint64_t ev_realtime_ms(void);

/* Run until ev_break() or until no descriptor watcher is started and no
 * timer is pending.  0, or -errno. */
int	ev_run(struct ev *ev);
void	ev_break(struct ev *ev);

#endif
