/* SPDX-License-Identifier: ISC */
#ifndef EDGE_LOG_H
#define EDGE_LOG_H

/*
 * Logging for the tools: stderr while in the foreground, as "ident:
 * message" lines, syslog(3) (LOG_DAEMON, with the pid) once daemonized.
 * Verbosity: 0 warnings and info, 1 adds debug, 2 adds more.  Messages
 * are cut at 1 KiB; errno is preserved.  The functions never exit; a tool
 * decides what to do after an error.  Before log_init() messages go to
 * stderr as "edgekit: message".
 */

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ident must stay valid (a string literal or argv[0]'s basename). */
void	log_init(const char *ident, int foreground, int verbose);
void	log_setverbose(int verbose);
int	log_getverbose(void);
/* Reopen syslog after a fork or a SIGHUP. */
void	log_reopen(void);

void	log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);	/* appends strerror(errno) */
void	log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);	/* verbose >= 1 */
void	log_trace(const char *fmt, ...) LOG_PRINTF(1, 2);	/* verbose >= 2 */

#endif
