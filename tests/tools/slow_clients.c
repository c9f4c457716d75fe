/*
 * tests/tools/slow_clients.c — a misbehaving client for the slow-client
 * integration test: opens COUNT TCP connections from a chosen source address
 * and then, every INTERVAL_MS (so an idle timeout never fires), depending on MODE:
 *
 *   idle      nothing at all (no ClientHello on a TLS port);
 *   headers   one more header line of a request whose headers never end;
 *   body      one more byte of a POST /ocsp body that never completes;
 *   requests  one complete GET /healthz on the same kept-alive connection (a good client).
 *
 * It watches every connection until the server closes it or DURATION_S
 * passes, and reports:
 *
 *   ready opened=N                       once every connection is open
 *   opened=N failed=F refused=R cut=C open=O answered=A responses=S first_cut_ms=X last_cut_ms=Y
 *
 * refused: closed by the server within EARLY_MS of connecting (a limit);
 * cut: closed later (a deadline); open: still open at the end; answered:
 * connections on which the server sent any byte; responses: "HTTP/1.1 "
 * status lines received in all; the *_cut_ms are the lifetimes of the first
 * and last cut connection (-1: none).
 *
 * usage: slow_clients MODE ADDR PORT SOURCE COUNT DURATION_S EARLY_MS [INTERVAL_MS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 512

struct slow_conn {
	int fd;                 /* -1 once closed */
	long long opened_ms;
	long long closed_ms;
	long long next_line_ms;
	int connected;
	int answered;
	int responses;
	int lines;
};

enum mode { MODE_IDLE, MODE_HEADERS, MODE_BODY, MODE_REQUESTS };
static enum mode mode;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A blocking connect from source to addr:port (5 s timeout); the fd or -1. */
static int
open_conn(const char *addr, int port, const char *source)
{
	struct sockaddr_in to, from;
	struct timeval tv = { 5, 0 };
	int fd;

	memset(&to, 0, sizeof(to));
	memset(&from, 0, sizeof(from));
	to.sin_family = from.sin_family = AF_INET;
	to.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1 || inet_pton(AF_INET, source, &from.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends the next piece for the mode; 0 on success, -1 if the server closed. */
static int
send_line(struct slow_conn *c)
{
	char line[160];
	int n;

	if (mode == MODE_REQUESTS)
		n = snprintf(line, sizeof(line), "GET /healthz HTTP/1.1\r\nHost: slow\r\n\r\n");
	else if (c->lines == 0 && mode == MODE_HEADERS)
		n = snprintf(line, sizeof(line), "GET /healthz HTTP/1.1\r\nHost: slow\r\n");
	else if (c->lines == 0)
		n = snprintf(line, sizeof(line), "POST /ocsp HTTP/1.1\r\nHost: slow\r\n"
		    "Content-Type: application/ocsp-request\r\nContent-Length: 1000\r\n\r\n");
	else if (mode == MODE_HEADERS)
		n = snprintf(line, sizeof(line), "X-Slow-%d: %d\r\n", c->lines, c->lines);
	else
		n = snprintf(line, sizeof(line), "0");
	c->lines++;
	return send(c->fd, line, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

static void
mark_closed(struct slow_conn *c, long long now)
{
	close(c->fd);
	c->fd = -1;
	c->closed_ms = now - c->opened_ms;
}

/* Reads what the server sent; closes the connection on end of stream or error. */
static void
drain(struct slow_conn *c, long long now)
{
	char buf[4096];
	const char *p;
	ssize_t n = recv(c->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n > 0) {
		c->answered = 1;
		buf[n] = '\0';
		for (p = buf; (p = strstr(p, "HTTP/1.1 ")) != NULL; p++)
			c->responses++;
	}
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		mark_closed(c, now);
}

int
main(int argc, char **argv)
{
	static struct slow_conn conns[MAX_CONNS];
	static struct pollfd pfd[MAX_CONNS];
	int sends, port, count, duration_s, early_ms, interval_ms, i, n, open, failed = 0;
	int refused = 0, cut = 0, still = 0, answered = 0, responses = 0;
	static const char *const modes[] = { "idle", "headers", "body", "requests" };
	long long start, now, first_cut = -1, last_cut = -1;

	for (i = 0; argc >= 8 && i < 4 && strcmp(argv[1], modes[i]) != 0; i++)
		;
	if (argc < 8 || i == 4) {
		fprintf(stderr, "usage: %s idle|headers|body|requests ADDR PORT SOURCE COUNT DURATION_S EARLY_MS "
		    "[INTERVAL_MS]\n", argv[0]);
		return 2;
	}
	mode = (enum mode)i;
	sends = mode != MODE_IDLE;
	port = atoi(argv[3]);
	count = atoi(argv[5]);
	duration_s = atoi(argv[6]);
	early_ms = atoi(argv[7]);
	interval_ms = argc > 8 ? atoi(argv[8]) : 1000;
	if (count < 1 || count > MAX_CONNS || duration_s < 1 || interval_ms < 10) {
		fprintf(stderr, "slow_clients: bad arguments\n");
		return 2;
	}
	for (i = 0; i < count; i++) {
		conns[i].fd = open_conn(argv[2], port, argv[4]);
		conns[i].opened_ms = now_ms();
		if (conns[i].fd < 0) {
			failed++;
			continue;
		}
		conns[i].connected = 1;
		if (sends && send_line(&conns[i]) != 0)
			mark_closed(&conns[i], now_ms());
		conns[i].next_line_ms = conns[i].opened_ms + interval_ms;
	}
	printf("ready opened=%d\n", count - failed);
	fflush(stdout);
	start = now_ms();
	for (;;) {
		now = now_ms();
		for (i = 0, n = 0; i < count; i++) {
			if (conns[i].fd < 0)
				continue;
			if (sends && now >= conns[i].next_line_ms) {
				conns[i].next_line_ms = now + interval_ms;
				if (send_line(&conns[i]) != 0) {
					mark_closed(&conns[i], now);
					continue;
				}
			}
			pfd[n].fd = conns[i].fd;
			pfd[n].events = POLLIN | POLLRDHUP;
			pfd[n].revents = 0;
			n++;
		}
		if (n == 0 || now - start >= (long long)duration_s * 1000)
			break;
		if (poll(pfd, (nfds_t)n, 50) < 0 && errno != EINTR)
			break;
		now = now_ms();
		for (i = 0, open = 0; i < count; i++) {
			if (conns[i].fd < 0)
				continue;
			if (pfd[open].revents != 0)
				drain(&conns[i], now);
			open++;
		}
	}
	for (i = 0; i < count; i++) {
		long long t = conns[i].closed_ms;

		answered += conns[i].answered;
		responses += conns[i].responses;
		if (!conns[i].connected)
			continue;
		if (conns[i].fd >= 0) {
			still++;
			close(conns[i].fd);
		} else if (t < early_ms)
			refused++;
		else {
			cut++;
			if (first_cut < 0 || t < first_cut)
				first_cut = t;
			if (t > last_cut)
				last_cut = t;
		}
	}
	printf("opened=%d failed=%d refused=%d cut=%d open=%d answered=%d responses=%d first_cut_ms=%lld "
	    "last_cut_ms=%lld\n", count - failed, failed, refused, cut, still, answered, responses, first_cut, last_cut);
	return 0;
}
