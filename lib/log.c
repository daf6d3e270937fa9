/* SPDX-License-Identifier: ISC */
/*
 * Logging: stderr (prefixed with the tool's name) in the foreground,
 * syslog(3) otherwise.  Never exits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char	*log_ident = "edgekit";
static int		 log_foreground = 1;
static int		 log_verbose;

void
log_init(const char *ident, int foreground, int verbose)
{
	if (ident != NULL)
		log_ident = ident;
	log_foreground = foreground;
	log_verbose = verbose;
	tzset();
	if (!log_foreground)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_reopen(void)
{
	if (log_foreground)
		return;
	closelog();
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/*
 * One line per message: the text is formatted first so that the stderr
 * write is a single fputs and concurrent writers do not interleave
 * mid-line.  errnum >= 0 appends ": strerror(errnum)".
 */
static void
vlog(int pri, int errnum, const char *fmt, va_list ap)
{
	char	msg[1024];
	size_t	n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum >= 0) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	}
	if (log_foreground) {
		flockfile(stderr);
		fprintf(stderr, "%s: %s\n", log_ident, msg);
		fflush(stderr);
		funlockfile(stderr);
	} else
		syslog(pri, "%s", msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(LOG_ERR, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(LOG_ERR, -1, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(LOG_INFO, -1, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, -1, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_trace(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, -1, fmt, ap);
	va_end(ap);
	errno = saved;
}
