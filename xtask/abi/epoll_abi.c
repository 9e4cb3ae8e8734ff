/*
 * The ABI oracle: prints the layout of struct epoll_event and every epoll
 * constant as the system's <sys/epoll.h> defines them, one "name value" line
 * each. `cargo xtask abi` compares this table with what epoll-sys says
 * (epoll-sys/examples/abi_table.rs); the names must match exactly.
 *
 * Event bits are printed as the uint32_t that struct epoll_event.events
 * holds; operations and flags as the int that epoll_ctl/epoll_create1 take.
 *
 * Optional entries, which older headers lack, are printed as "absent NAME"
 * when these headers do not have them; the comparison skips those names and
 * reports them as "not in this system's headers". The busy-poll entries
 * (Linux 6.9) are never absent: where the headers lack them, they are
 * computed here from the struct as the kernel declares it and this
 * architecture's own _IOW/_IOR (<asm/ioctl.h>: the direction bits differ on
 * mips, powerpc and sparc), and printed as "computed NAME VALUE".
 *
 * The same file is built for every target `cargo xtask abi --target` knows,
 * by that target's cross gcc against its own headers: nothing here may
 * assume x86_64.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * EPOLL_URING_WAKE (Linux 6.1), struct epoll_params, EPIOCSPARAMS and
 * EPIOCGPARAMS (Linux 6.9) come from the kernel's uapi <linux/eventpoll.h>.
 * glibc's <sys/epoll.h> lacks EPOLL_URING_WAKE; glibc 2.40 and later may
 * define struct epoll_params and the two ioctls too, older glibc does not.
 * The uapi header cannot simply be included beside <sys/epoll.h>: both
 * define struct epoll_event and the EPOLL* names, and (glibc 2.40+ with 6.9+
 * headers) struct epoll_params and the ioctls. So it is read first with its
 * structs renamed, the values needed are kept in variables, and its macros
 * are undefined again before <sys/epoll.h>.
 */
#define epoll_event uapi_epoll_event
#define epoll_params uapi_epoll_params
#include <linux/eventpoll.h>
#ifdef EPOLL_URING_WAKE
static const uint32_t uapi_uring_wake = (uint32_t)EPOLL_URING_WAKE;
#endif
#ifdef EPIOCSPARAMS
#define HAVE_UAPI_EPOLL_PARAMS 1
static const unsigned long uapi_ioc_type = (unsigned long)EPOLL_IOC_TYPE;
/* Read while `epoll_params` still names the renamed uapi struct. */
static const unsigned long uapi_epiocsparams = (unsigned long)EPIOCSPARAMS;
static const unsigned long uapi_epiocgparams = (unsigned long)EPIOCGPARAMS;
#endif
#undef epoll_event
#undef epoll_params
#undef EPIOCSPARAMS
#undef EPIOCGPARAMS
#undef EPOLL_IOC_TYPE
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
#include <linux/ioctl.h> /* _IOW/_IOR, from this architecture's <asm/ioctl.h> */

#define LAYOUT(name, expr) printf("%s %llu\n", name, (unsigned long long)(expr))
#define BIT(c) printf("%s %llu\n", #c, (unsigned long long)(uint32_t)(c))
#define INT(c) printf("%s %lld\n", #c, (long long)(int)(c))
#define ABSENT(name) printf("absent %s\n", name)

/*
 * The busy-poll rows, from whichever header has them (the uapi one first),
 * else computed: the struct exactly as include/uapi/linux/eventpoll.h
 * (Linux 6.9) declares it, and its two ioctls through this architecture's
 * own _IOW/_IOR. Only the literal type byte and field list are transcribed;
 * sizes, offsets and the ioctl encoding are this compiler's and these
 * headers' answer.
 */
#if defined(HAVE_UAPI_EPOLL_PARAMS)
#define PARAMS struct uapi_epoll_params
#define IOC_TYPE uapi_ioc_type
#define SPARAMS uapi_epiocsparams
#define GPARAMS uapi_epiocgparams
#define PARAMS_FROM ""
#elif defined(EPIOCSPARAMS)
#define PARAMS struct epoll_params
#define IOC_TYPE ((unsigned long)EPOLL_IOC_TYPE)
#define SPARAMS ((unsigned long)EPIOCSPARAMS)
#define GPARAMS ((unsigned long)EPIOCGPARAMS)
#define PARAMS_FROM ""
#else
struct kernel_epoll_params {
    uint32_t busy_poll_usecs;
    uint16_t busy_poll_budget;
    uint8_t prefer_busy_poll;
    /* pad the struct to a multiple of 64bits */
    uint8_t __pad;
};
#define PARAMS struct kernel_epoll_params
#define IOC_TYPE 0x8AUL
#define SPARAMS ((unsigned long)_IOW(IOC_TYPE, 0x01, struct kernel_epoll_params))
#define GPARAMS ((unsigned long)_IOR(IOC_TYPE, 0x02, struct kernel_epoll_params))
#define PARAMS_FROM "computed "
#endif
#define PARAMS_ROW(name, expr) \
    printf("%s%s %llu\n", PARAMS_FROM, name, (unsigned long long)(expr))

static const char *const params_rows[] = {
    "sizeof(struct epoll_params)",
    "alignof(struct epoll_params)",
    "offsetof(struct epoll_params, busy_poll_usecs)",
    "offsetof(struct epoll_params, busy_poll_budget)",
    "offsetof(struct epoll_params, prefer_busy_poll)",
    "offsetof(struct epoll_params, __pad)",
    "EPIOCSPARAMS",
    "EPIOCGPARAMS",
};

int main(void)
{
    LAYOUT("sizeof(struct epoll_event)", sizeof(struct epoll_event));
    LAYOUT("alignof(struct epoll_event)", _Alignof(struct epoll_event));
    LAYOUT("offsetof(struct epoll_event, events)", offsetof(struct epoll_event, events));
    LAYOUT("offsetof(struct epoll_event, data)", offsetof(struct epoll_event, data));
    LAYOUT("sizeof(epoll_data_t)", sizeof(epoll_data_t));
    /* epoll_pwait's mask, as the C library (not the kernel) defines it. */
    LAYOUT("sizeof(sigset_t)", sizeof(sigset_t));
    LAYOUT("alignof(sigset_t)", _Alignof(sigset_t));

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

    /* Optional: from the uapi header (see above); headers before 6.1 lack it. */
#ifdef EPOLL_URING_WAKE
    printf("EPOLL_URING_WAKE %llu\n", (unsigned long long)uapi_uring_wake);
#else
    ABSENT("EPOLL_URING_WAKE");
#endif

    /* From the headers where they have them (6.9+ uapi, glibc 2.40+), else computed. */
    PARAMS_ROW("EPOLL_IOC_TYPE", IOC_TYPE);
    PARAMS_ROW(params_rows[0], sizeof(PARAMS));
    PARAMS_ROW(params_rows[1], _Alignof(PARAMS));
    PARAMS_ROW(params_rows[2], offsetof(PARAMS, busy_poll_usecs));
    PARAMS_ROW(params_rows[3], offsetof(PARAMS, busy_poll_budget));
    PARAMS_ROW(params_rows[4], offsetof(PARAMS, prefer_busy_poll));
    PARAMS_ROW(params_rows[5], offsetof(PARAMS, __pad));
    PARAMS_ROW(params_rows[6], SPARAMS);
    PARAMS_ROW(params_rows[7], GPARAMS);
    return 0;
}
