/*
 * The ABI oracle: prints the layout of struct epoll_event and every epoll
 * constant as the system's <sys/epoll.h> defines them, one "name value" line
 * each. `cargo xtask abi` compares this table with what epoll-sys says
 * (epoll-sys/examples/abi_table.rs); the names must match exactly.
 *
 * Event bits are printed as the uint32_t that struct epoll_event.events
 * holds; operations and flags as the int that epoll_ctl/epoll_create1 take.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * glibc's <sys/epoll.h> lacks EPOLL_URING_WAKE (Linux 6.1), struct
 * epoll_params, EPIOCSPARAMS and EPIOCGPARAMS (Linux 6.9). The kernel's uapi
 * <linux/eventpoll.h> has EPOLL_URING_WAKE from 6.1 headers on, but it cannot
 * be included beside <sys/epoll.h>: both define struct epoll_event and the
 * EPOLL* names. So it is read first, EPOLL_URING_WAKE is kept in a variable,
 * and its other names are undefined again before <sys/epoll.h>.
 *
 * The busy-poll entries are not compared here: the uapi headers of the
 * machines this gate runs on predate 6.9, and epoll-sys always has them
 * (epoll-sys/src/params.rs pins them to the kernel's values and libc's).
 */
#define epoll_event uapi_epoll_event
#include <linux/eventpoll.h>
#undef epoll_event
#ifdef EPOLL_URING_WAKE
static const uint32_t uapi_uring_wake = (uint32_t)EPOLL_URING_WAKE;
#endif
#undef EPOLLIN
#undef EPOLLPRI
#undef EPOLLOUT
#undef EPOLLERR
#undef EPOLLHUP
#undef EPOLLNVAL
#undef EPOLLRDNORM
#undef EPOLLRDBAND
#undef EPOLLWRNORM
#undef EPOLLWRBAND
#undef EPOLLMSG
#undef EPOLLRDHUP
#undef EPOLLEXCLUSIVE
#undef EPOLLWAKEUP
#undef EPOLLONESHOT
#undef EPOLLET
#undef EPOLL_CLOEXEC
#undef EPOLL_CTL_ADD
#undef EPOLL_CTL_DEL
#undef EPOLL_CTL_MOD

#include <sys/epoll.h>

#define LAYOUT(name, expr) printf("%s %llu\n", name, (unsigned long long)(expr))
#define BIT(c) printf("%s %llu\n", #c, (unsigned long long)(uint32_t)(c))
#define INT(c) printf("%s %lld\n", #c, (long long)(int)(c))

int main(void)
{
    LAYOUT("sizeof(struct epoll_event)", sizeof(struct epoll_event));
    LAYOUT("alignof(struct epoll_event)", _Alignof(struct epoll_event));
    LAYOUT("offsetof(struct epoll_event, events)", offsetof(struct epoll_event, events));
    LAYOUT("offsetof(struct epoll_event, data)", offsetof(struct epoll_event, data));
    LAYOUT("sizeof(epoll_data_t)", sizeof(epoll_data_t));

    BIT(EPOLLIN);
    BIT(EPOLLPRI);
    BIT(EPOLLOUT);
    BIT(EPOLLERR);
    BIT(EPOLLHUP);
    BIT(EPOLLRDNORM);
    BIT(EPOLLRDBAND);
    BIT(EPOLLWRNORM);
    BIT(EPOLLWRBAND);
    BIT(EPOLLMSG);
    BIT(EPOLLRDHUP);
    BIT(EPOLLEXCLUSIVE);
    BIT(EPOLLWAKEUP);
    BIT(EPOLLONESHOT);
    BIT(EPOLLET);

    INT(EPOLL_CTL_ADD);
    INT(EPOLL_CTL_DEL);
    INT(EPOLL_CTL_MOD);
    INT(EPOLL_CLOEXEC);

    /* From the uapi header (see above); older than 6.1 headers lack it. */
#ifdef EPOLL_URING_WAKE
    printf("EPOLL_URING_WAKE %llu\n", (unsigned long long)uapi_uring_wake);
#endif
    return 0;
}
