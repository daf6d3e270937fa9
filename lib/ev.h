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

struct ev_io {
	int		 fd;
	uint32_t	 events;	/* EPOLLIN, EPOLLOUT, ... */
	ev_io_cb	 cb;
	void		*arg;
};

struct ev_timer {
	uint64_t	 when;		/* monotonic, microseconds */
	size_t		 slot;		/* heap index + 1; 0: not pending */
	ev_timer_cb	 cb;
	void		*arg;
};

/* NULL and errno on failure.  ev_free() closes the loop's descriptors, not
 * the watched ones. */
struct ev	*ev_new(void);
void		 ev_free(struct ev *ev);

int	ev_io_start(struct ev *ev, struct ev_io *io, int fd, uint32_t events,
	    ev_io_cb cb, void *arg);
int	ev_io_mod(struct ev *ev, struct ev_io *io, uint32_t events);
int	ev_io_stop(struct ev *ev, struct ev_io *io);

void	ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *arg);
/* (Re)arm to fire once, ms milliseconds from now. */
int	ev_timer_start(struct ev *ev, struct ev_timer *t, uint64_t ms);
void	ev_timer_stop(struct ev *ev, struct ev_timer *t);
bool	ev_timer_pending(const struct ev_timer *t);

/* Block signo and deliver it through the loop. */
int	ev_signal(struct ev *ev, int signo, ev_signal_cb cb, void *arg);

/* The loop's cached monotonic time, updated once per wake-up. */
uint64_t ev_now_us(const struct ev *ev);
uint64_t ev_now_ms(const struct ev *ev);
/* Fresh monotonic and wall-clock readings. */
uint64_t ev_monotonic_us(void);
uint64_t ev_realtime_ms(void);

/* Run until ev_break() or until nothing is watched.  0, or -errno. */
int	ev_run(struct ev *ev);
void	ev_break(struct ev *ev);

#endif
