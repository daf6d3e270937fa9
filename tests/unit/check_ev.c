/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <check.h>

#include "ev.h"

struct rec {
	int		 order[64];
	int		 n;
	uint64_t	 at[64];
};

struct tmr {
	struct ev_timer	 t;
	int		 id;
	struct rec	*rec;
};

static void
tmr_cb(struct ev *ev, struct ev_timer *t)
{
	struct tmr *m = t->arg;

	m->rec->at[m->rec->n] = ev_now_us(ev);
	m->rec->order[m->rec->n++] = m->id;
}

START_TEST(timers_in_order)
{
	struct ev	*ev = ev_new();
	struct rec	 rec = { .n = 0 };
	struct tmr	 m[6];
	static const int ms[6] = { 30, 10, 20, 10, 0, 40 };
	static const int want[5] = { 4, 1, 3, 2, 0 };
	uint64_t	 start;
	int		 i;

	ck_assert_ptr_nonnull(ev);
	start = ev_monotonic_us();
	for (i = 0; i < 6; i++) {
		m[i].id = i;
		m[i].rec = &rec;
		ev_timer_init(&m[i].t, tmr_cb, &m[i]);
		ck_assert(!ev_timer_pending(&m[i].t));
		ck_assert_int_eq(ev_timer_start(ev, &m[i].t,
		    (uint64_t)ms[i]), 0);
		ck_assert(ev_timer_pending(&m[i].t));
	}
	ev_timer_stop(ev, &m[5].t);
	ck_assert(!ev_timer_pending(&m[5].t));
	ev_timer_stop(ev, &m[5].t);	/* twice is harmless */
	ck_assert_int_eq(ev_run(ev), 0);	/* returns: nothing left */
	ck_assert_int_eq(rec.n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(rec.order[i], want[i]);
		/* never early */
		ck_assert_uint_ge(rec.at[i], start +
		    (uint64_t)ms[want[i]] * 1000);
		ck_assert(!ev_timer_pending(&m[want[i]].t));
	}
	/* not terribly late either */
	ck_assert_uint_lt(rec.at[4], start + 30000 + 200000);
	ev_free(ev);
}
END_TEST

struct rearm {
	struct ev_timer	 t, other;
	int		 fired, other_fired;
};

static void
other_cb(struct ev *ev, struct ev_timer *t)
{
	struct rearm *r = t->arg;

	r->other_fired++;
}

static void
rearm_cb(struct ev *ev, struct ev_timer *t)
{
	struct rearm *r = t->arg;

	r->fired++;
	/* stop a pending timer from a callback */
	ev_timer_stop(ev, &r->other);
	/* 0 ms from a callback: next wake-up, not this pass */
	if (r->fired < 5)
		ck_assert_int_eq(ev_timer_start(ev, t, 0), 0);
}

START_TEST(timer_rearm)
{
	struct ev	*ev = ev_new();
	struct rearm	 r = { .fired = 0 };

	ev_timer_init(&r.t, rearm_cb, &r);
	ev_timer_init(&r.other, other_cb, &r);
	ev_timer_start(ev, &r.t, 1);
	ev_timer_start(ev, &r.other, 50);
	/* re-arming a pending timer moves it */
	ev_timer_start(ev, &r.t, 5);
	/* an absurd delay neither overflows nor fires */
	{
		struct ev_timer never;

		ev_timer_init(&never, other_cb, &r);
		ck_assert_int_eq(ev_timer_start(ev, &never, UINT64_MAX), 0);
		ck_assert_uint_ge(never.when, ev_now_us(ev));
		ev_timer_stop(ev, &never);
	}
	ck_assert_int_eq(ev_run(ev), 0);
	ck_assert_int_eq(r.fired, 5);
	ck_assert_int_eq(r.other_fired, 0);
	ev_free(ev);
}
END_TEST

struct pipe_w {
	struct ev_io	 io;
	int		 fds[2];
	int		 got;
	struct pipe_w	*peer;
	char		 buf[16];
};

static void
read_cb(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct pipe_w *p = io->arg;
	ssize_t n;

	ck_assert(events & EPOLLIN);
	n = read(io->fd, p->buf, sizeof(p->buf) - 1);
	ck_assert_int_gt(n, 0);
	p->buf[n] = '\0';
	p->got++;
	ck_assert_int_eq(ev_io_stop(ev, io), 0);
	/* the other one is readable too, in this batch: stop it */
	if (p->peer != NULL)
		ck_assert_int_eq(ev_io_stop(ev, &p->peer->io), 0);
}

START_TEST(io_basic)
{
	struct ev	*ev = ev_new();
	struct pipe_w	 a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(pipe(a.fds), 0);
	ck_assert_int_eq(pipe(b.fds), 0);
	ck_assert_int_eq(ev_io_start(ev, &a.io, a.fds[0], EPOLLIN, read_cb,
	    &a), 0);
	ck_assert(a.io.active);
	/* the same descriptor twice */
	{
		struct ev_io dup;

		memset(&dup, 0, sizeof(dup));
		ck_assert_int_eq(ev_io_start(ev, &dup, a.fds[0], EPOLLIN,
		    read_cb, &a), -EEXIST);
		ck_assert(!dup.active);
		ck_assert_int_eq(ev_io_stop(ev, &dup), 0);
	}
	ck_assert_int_eq(ev_io_start(ev, &b.io, -1, EPOLLIN, read_cb, &b),
	    -EBADF);
	ck_assert_int_eq(write(a.fds[1], "hello", 5), 5);
	ck_assert_int_eq(ev_run(ev), 0);
	ck_assert_int_eq(a.got, 1);
	ck_assert_str_eq(a.buf, "hello");
	ck_assert(!a.io.active);

	/* Both readable at once; the first callback stops the other. */
	a.got = b.got = 0;
	a.peer = &b;
	b.peer = &a;
	ck_assert_int_eq(ev_io_start(ev, &a.io, a.fds[0], EPOLLIN, read_cb,
	    &a), 0);
	ck_assert_int_eq(ev_io_start(ev, &b.io, b.fds[0], EPOLLIN, read_cb,
	    &b), 0);
	ck_assert_int_eq(write(a.fds[1], "x", 1), 1);
	ck_assert_int_eq(write(b.fds[1], "y", 1), 1);
	ck_assert_int_eq(ev_run(ev), 0);
	ck_assert_int_eq(a.got + b.got, 1);
	close(a.fds[0]);
	close(a.fds[1]);
	close(b.fds[0]);
	close(b.fds[1]);
	ev_free(ev);
}
END_TEST

struct wr {
	struct ev_io	 io;
	int		 writable, readable;
};

static void
wr_cb(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct wr *w = io->arg;
	char c;

	if (events & EPOLLOUT) {
		w->writable++;
		ck_assert_int_eq(write(io->fd, "z", 1), 1);
		/* now wait for the echo */
		ck_assert_int_eq(ev_io_mod(ev, io, EPOLLIN), 0);
		ck_assert_uint_eq(io->events, EPOLLIN);
	} else if (events & EPOLLIN) {
		w->readable++;
		ck_assert_int_eq(read(io->fd, &c, 1), 1);
		ck_assert_int_eq(c, 'z');
		ev_break(ev);
	}
}

static void
echo_cb(struct ev *ev, struct ev_io *io, uint32_t events)
{
	char c;

	ck_assert_int_eq(read(io->fd, &c, 1), 1);
	ck_assert_int_eq(write(io->fd, &c, 1), 1);
}

START_TEST(io_mod_break)
{
	struct ev	*ev = ev_new();
	struct wr	 w;
	struct ev_io	 echo;
	int		 sp[2];

	memset(&w, 0, sizeof(w));
	memset(&echo, 0, sizeof(echo));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(ev_io_start(ev, &w.io, sp[0], EPOLLOUT, wr_cb, &w),
	    0);
	ck_assert_int_eq(ev_io_start(ev, &echo, sp[1], EPOLLIN, echo_cb,
	    NULL), 0);
	ck_assert_int_eq(ev_io_mod(ev, &echo, EPOLLIN), 0);
	/* ev_break returns although both watchers are still started */
	ck_assert_int_eq(ev_run(ev), 0);
	ck_assert_int_eq(w.writable, 1);
	ck_assert_int_eq(w.readable, 1);
	ck_assert(w.io.active && echo.active);
	/* a watcher whose descriptor was closed first can still stop */
	close(sp[0]);
	ck_assert_int_eq(ev_io_stop(ev, &w.io), 0);
	ck_assert_int_eq(ev_io_stop(ev, &echo), 0);
	ck_assert_int_eq(ev_io_mod(ev, &echo, EPOLLOUT), -EINVAL);
	close(sp[1]);
	/* nothing watched: returns at once */
	ck_assert_int_eq(ev_run(ev), 0);
	ev_free(ev);
}
END_TEST

struct sigs {
	int		 usr1, usr2;
	struct ev_timer	 t, guard;
};

static void
sig_cb(struct ev *ev, int signo, void *arg)
{
	struct sigs *s = arg;

	if (signo == SIGUSR1)
		s->usr1++;
	else if (signo == SIGUSR2)
		s->usr2++;
	if (s->usr1 >= 1 && s->usr2 == 1)
		ev_break(ev);
}

static void
kill_cb(struct ev *ev, struct ev_timer *t)
{
	ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
	ck_assert_int_eq(kill(getpid(), SIGUSR2), 0);
	ck_assert_int_eq(raise(SIGUSR1), 0);
}

static void
guard_cb(struct ev *ev, struct ev_timer *t)
{
	ck_abort_msg("signals were not delivered");
}

START_TEST(signals)
{
	struct ev	*ev = ev_new();
	struct sigs	 s;
	sigset_t	 cur;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(ev_signal(ev, SIGUSR1, sig_cb, &s), 0);
	ck_assert_int_eq(ev_signal(ev, SIGUSR2, sig_cb, &s), 0);
	ck_assert_int_eq(ev_signal(ev, 0, sig_cb, &s), -EINVAL);
	ck_assert_int_eq(ev_signal(ev, SIGKILL, sig_cb, &s), -EINVAL);
	ck_assert_int_eq(ev_signal(ev, SIGSTOP, sig_cb, &s), -EINVAL);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	ck_assert(sigismember(&cur, SIGUSR1));
	ev_timer_init(&s.t, kill_cb, &s);
	ev_timer_init(&s.guard, guard_cb, &s);
	ev_timer_start(ev, &s.t, 5);
	ev_timer_start(ev, &s.guard, 5000);
	ck_assert_int_eq(ev_run(ev), 0);
	/* Standard signals do not queue: two SIGUSR1 may arrive as one. */
	ck_assert_int_ge(s.usr1, 1);
	ck_assert_int_eq(s.usr2, 1);
	ev_free(ev);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	ck_assert(!sigismember(&cur, SIGUSR1));
}
END_TEST

struct many {
	struct ev_timer	 t;
	uint64_t	 when;
	uint64_t	*last;
	int		*fired;
};

static void
many_cb(struct ev *ev, struct ev_timer *t)
{
	struct many *m = t->arg;

	/* deadlines come out in order */
	ck_assert_uint_ge(m->when, *m->last);
	ck_assert_uint_ge(ev_now_us(ev), m->when);
	*m->last = m->when;
	(*m->fired)++;
}

/* Tens of thousands of timers, a third stopped again. */
START_TEST(timer_scale)
{
	enum { N = 50000 };
	struct ev	*ev = ev_new();
	struct many	*m = calloc(N, sizeof(*m));
	uint64_t	 last = 0;
	int		 fired = 0, stopped = 0, i;
	uint32_t	 x = 1;

	ck_assert_ptr_nonnull(m);
	for (i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		m[i].last = &last;
		m[i].fired = &fired;
		ev_timer_init(&m[i].t, many_cb, &m[i]);
		ck_assert_int_eq(ev_timer_start(ev, &m[i].t,
		    (x >> 8) % 200), 0);
		m[i].when = m[i].t.when;
	}
	for (i = 0; i < N; i += 3) {
		ev_timer_stop(ev, &m[i].t);
		stopped++;
	}
	ck_assert_int_eq(ev_run(ev), 0);
	ck_assert_int_eq(fired, N - stopped);
	free(m);
	ev_free(ev);
}
END_TEST

struct conn {
	struct ev_io	 io;
	struct ev_timer	 t;
	int		 fds[2];
	int		*done;
};

static void
conn_timer(struct ev *ev, struct ev_timer *t)
{
	struct conn *c = t->arg;

	ck_assert_int_eq(write(c->fds[1], "p", 1), 1);
}

static void
conn_read(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct conn *c = io->arg;
	char ch;

	ck_assert_int_eq(read(io->fd, &ch, 1), 1);
	ck_assert_int_eq(ev_io_stop(ev, io), 0);
	(*c->done)++;
}

/* 5,000 connections, each with its own timer, as edge-sni holds. */
START_TEST(io_scale)
{
	enum { N = 5000 };
	struct ev	*ev = ev_new();
	struct conn	*c = calloc(N, sizeof(*c));
	struct rlimit	 rl;
	int		 done = 0, i;

	ck_assert_ptr_nonnull(c);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 2 * N + 100) {
		rl.rlim_cur = rl.rlim_max < 2 * N + 100 ? rl.rlim_max :
		    2 * N + 100;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(pipe(c[i].fds), 0);
		c[i].done = &done;
		ck_assert_int_eq(ev_io_start(ev, &c[i].io, c[i].fds[0],
		    EPOLLIN, conn_read, &c[i]), 0);
		ev_timer_init(&c[i].t, conn_timer, &c[i]);
		ck_assert_int_eq(ev_timer_start(ev, &c[i].t,
		    (uint64_t)(i % 50)), 0);
	}
	ck_assert_int_eq(ev_run(ev), 0);
	ck_assert_int_eq(done, N);
	for (i = 0; i < N; i++) {
		close(c[i].fds[0]);
		close(c[i].fds[1]);
	}
	free(c);
	ev_free(ev);
}
END_TEST

struct owned {
	struct ev_io	 io;
	struct ev_timer	 t;
	int		 fds[2];
	struct owned	*victim;
	int		*calls;
};

static void
owned_free(struct ev *ev, struct owned *o)
{
	ck_assert_int_eq(ev_io_stop(ev, &o->io), 0);
	ev_timer_stop(ev, &o->t);
	close(o->fds[0]);
	close(o->fds[1]);
	free(o);
}

static void
owned_read(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct owned *o = io->arg;

	(*o->calls)++;
	/* free the other connection (its event is pending), then self */
	if (o->victim != NULL) {
		o->victim->victim = NULL;
		owned_free(ev, o->victim);
	}
	owned_free(ev, o);
}

static void
owned_timer(struct ev *ev, struct ev_timer *t)
{
	ck_abort_msg("timer of a freed connection fired");
}

/* Freeing watchers from a callback, pending events and all (ASan). */
START_TEST(free_in_callback)
{
	struct ev	*ev = ev_new();
	struct owned	*a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	int		 calls = 0;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	a->victim = b;
	b->victim = a;
	a->calls = b->calls = &calls;
	ck_assert_int_eq(pipe(a->fds), 0);
	ck_assert_int_eq(pipe(b->fds), 0);
	ck_assert_int_eq(ev_io_start(ev, &a->io, a->fds[0], EPOLLIN,
	    owned_read, a), 0);
	ck_assert_int_eq(ev_io_start(ev, &b->io, b->fds[0], EPOLLIN,
	    owned_read, b), 0);
	ev_timer_init(&a->t, owned_timer, a);
	ev_timer_init(&b->t, owned_timer, b);
	ck_assert_int_eq(ev_timer_start(ev, &a->t, 20), 0);
	ck_assert_int_eq(ev_timer_start(ev, &b->t, 20), 0);
	ck_assert_int_eq(write(a->fds[1], "a", 1), 1);
	ck_assert_int_eq(write(b->fds[1], "b", 1), 1);
	ck_assert_int_eq(ev_run(ev), 0);
	ck_assert_int_eq(calls, 1);
	ev_free(ev);
}
END_TEST

/* ev_io_forget() then close(): no callback for the closed descriptor,
 * even with its event pending in the same batch, and its number can be
 * watched again (close() took it out of the epoll set). */
struct fgt {
	struct ev_io	 io;
	int		 fds[2];
	struct fgt	*victim;
	int		*calls;
};

static void
fgt_read(struct ev *ev, struct ev_io *io, uint32_t events)
{
	struct fgt *f = io->arg;

	(*f->calls)++;
	ev_io_forget(ev, &f->victim->io);
	close(f->victim->fds[0]);
	ev_io_forget(ev, &f->io);
	close(f->fds[0]);
}

START_TEST(io_forget)
{
	struct ev	*ev = ev_new();
	struct fgt	 a, b;
	struct ev_io	 again;
	int		 calls = 0, fds[2];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.victim = &b;
	b.victim = &a;
	a.calls = b.calls = &calls;
	ck_assert_int_eq(pipe(a.fds), 0);
	ck_assert_int_eq(pipe(b.fds), 0);
	ck_assert_int_eq(ev_io_start(ev, &a.io, a.fds[0], EPOLLIN, fgt_read,
	    &a), 0);
	ck_assert_int_eq(ev_io_start(ev, &b.io, b.fds[0], EPOLLIN, fgt_read,
	    &b), 0);
	ck_assert_int_eq(write(a.fds[1], "a", 1), 1);
	ck_assert_int_eq(write(b.fds[1], "b", 1), 1);
	/* Both are ready in one batch; the first callback closes both and
	 * the loop ends, nothing being watched. */
	ck_assert_int_eq(ev_run(ev), 0);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert(fds[0] == a.fds[0] || fds[0] == b.fds[0]);
	ck_assert_int_eq(ev_io_start(ev, &again, fds[0], EPOLLIN, fgt_read,
	    NULL), 0);
	ck_assert_int_eq(ev_io_stop(ev, &again), 0);
	close(fds[0]);
	close(fds[1]);
	close(a.fds[1]);
	close(b.fds[1]);
	ev_free(ev);
}
END_TEST

START_TEST(clocks)
{
	struct ev	*ev = ev_new();
	uint64_t	 a, b;

	a = ev_monotonic_us();
	usleep(2000);
	b = ev_monotonic_us();
	ck_assert_uint_ge(b - a, 2000);
	/* cached: unchanged until the loop wakes */
	a = ev_now_us(ev);
	usleep(1000);
	ck_assert_uint_eq(ev_now_us(ev), a);
	ck_assert_uint_eq(ev_now_ms(ev), a / 1000);
	/* wall clock: after 2020 */
	ck_assert_uint_gt(ev_realtime_ms(), 1577836800000ull);
	ev_free(ev);
	ev_free(NULL);
}
END_TEST

Suite *make_ev_suite(void);

Suite *
make_ev_suite(void)
{
	Suite	*s = suite_create("ev");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, timers_in_order);
	tcase_add_test(tc, timer_rearm);
	tcase_add_test(tc, io_basic);
	tcase_add_test(tc, io_mod_break);
	tcase_add_test(tc, signals);
	tcase_add_test(tc, timer_scale);
	tcase_add_test(tc, io_scale);
	tcase_add_test(tc, free_in_callback);
	tcase_add_test(tc, io_forget);
	tcase_add_test(tc, clocks);
	suite_add_tcase(s, tc);
	return s;
}
