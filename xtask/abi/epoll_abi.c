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
    return 0;
}
