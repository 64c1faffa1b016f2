/* hayabusa.h: the Hayabusa program ABI for C (clang --target=wasm32); see docs/abi.md. */
#ifndef HAYABUSA_H
#define HAYABUSA_H

#include <stdint.h>

/* ---- Messages: 16-byte header, then up to HB_MAX_PAYLOAD bytes; little-endian, 8-aligned. ---- */
#define HB_HEADER_SIZE 16
#define HB_MSG_SIZE 4096
#define HB_MAX_PAYLOAD (HB_MSG_SIZE - HB_HEADER_SIZE) /* 4080 */
#define HB_MAX_NAME 32

typedef struct hb_msg {
    uint32_t kind;   /* offset 0: defined by the receiving service */
    uint32_t len;    /* offset 4: payload bytes, <= HB_MAX_PAYLOAD */
    int32_t sender;  /* offset 8: written by the kernel on delivery, ignored on send */
    uint32_t flags;  /* offset 12: 0; in a reply, a negative HB_E* makes the caller's call fail */
    uint8_t payload[HB_MAX_PAYLOAD]; /* offset 16 */
} __attribute__((aligned(8))) hb_msg;

_Static_assert(sizeof(hb_msg) == HB_MSG_SIZE, "hb_msg is 4096 bytes");

/* ---- Status codes: 0 success, negative errors. ---- */
#define HB_OK 0
#define HB_EBAD_POINTER (-1)
#define HB_ETOO_LARGE (-2)
#define HB_ENO_SUCH_TASK (-3)
#define HB_ENOT_FOUND (-4)
#define HB_EDENIED (-5)
#define HB_ENOT_WAITING (-6)
#define HB_ECALL_SELF (-7)
#define HB_EPEER_DIED (-8)
#define HB_EBAD_ARGUMENT (-9)
#define HB_EBUSY (-10)
#define HB_EUNSUPPORTED (-11)
#define HB_EBAD_REPLY (-12)
#define HB_EWOULD_BLOCK (-13) /* tcpip: a non-blocking request could not be done now */
#define HB_EREFUSED (-14)     /* tcpip: connection refused or address unreachable */
#define HB_ERESET (-15)       /* tcpip: connection reset or broken */

/* ---- Tasks. ---- */
#define HB_TASK_KERNEL 1 /* reachable without lookup */
#define HB_TASK_ANY 0    /* ipc_recv: from anyone */

/* Kernel (task 1) request kinds. */
#define HB_KERNEL_REGISTER 1     /* payload: service name */
#define HB_KERNEL_UPTIME 2       /* reply: u64 ns since boot */
#define HB_KERNEL_EXIT 3         /* payload: i32 exit code (optional); no reply */
#define HB_KERNEL_ARGS 4         /* reply: the task's argument string */
#define HB_KERNEL_SERIAL_WRITE 5 /* payload: bytes; needs `device = serial` */
#define HB_KERNEL_SERIAL_READ 6  /* payload: optional u32 max; reply: >= 1 input bytes */

/* The console service ("console"). */
#define HB_SERVICE_CONSOLE "console"
#define HB_CONSOLE_WRITE 1     /* payload: bytes to print */
#define HB_CONSOLE_READ_LINE 2 /* payload: optional u32 max; reply: one line, no line end */

/* ---- The four imports (module "hayabusa"); pointers are offsets in linear memory. ---- */
#define HB_IMPORT(name) __attribute__((import_module("hayabusa"), import_name(name)))

/* Task id (>= 2) of the service `name`, or HB_ENOT_FOUND, HB_EDENIED, HB_EBAD_POINTER, HB_EBAD_ARGUMENT. */
HB_IMPORT("ipc_lookup") int32_t ipc_lookup(const char *name, uint32_t name_len);
/* Sends *msg to dst and blocks until the reply overwrites *msg (HB_MSG_SIZE bytes of room). */
HB_IMPORT("ipc_call") int32_t ipc_call(int32_t dst, hb_msg *msg);
/* Blocks for a message from src (HB_TASK_ANY: anyone) into *msg; returns the sender (> 0). */
HB_IMPORT("ipc_recv") int32_t ipc_recv(int32_t src, hb_msg *msg);
/* Answers dst, blocked in a call to us, with *msg; does not block. */
HB_IMPORT("ipc_reply") int32_t ipc_reply(int32_t dst, const hb_msg *msg);

/* ---- Direct-path exports a server defines (see docs/abi.md):
 *   int32_t hayabusa_msg_buffer(void);       address of a static hb_msg
 *   int32_t hayabusa_handle(int32_t sender); handle the request in it; 0 or HB_E*
 * and every program exports `void _start(void)`. */
#define HB_EXPORT(name) __attribute__((export_name(name), visibility("default")))

#endif
