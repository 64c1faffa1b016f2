/* hello-c: prints a greeting through the console service; a C client of the Hayabusa ABI. */
#include "hayabusa.h"

static hb_msg msg;

static void exit_with(int32_t code) {
    msg.kind = HB_KERNEL_EXIT;
    msg.len = 4;
    msg.flags = 0;
    __builtin_memcpy(msg.payload, &code, 4);
    ipc_call(HB_TASK_KERNEL, &msg);
    __builtin_trap();
}

HB_EXPORT("_start") void _start(void) {
    static const char name[] = HB_SERVICE_CONSOLE;
    static const char text[] = "hello from C\n";
    int32_t console = ipc_lookup(name, sizeof name - 1);
    if (console < 0)
        exit_with(console);
    msg.kind = HB_CONSOLE_WRITE;
    msg.len = sizeof text - 1;
    msg.flags = 0;
    for (uint32_t i = 0; i < msg.len; i++)
        msg.payload[i] = (uint8_t)text[i];
    int32_t status = ipc_call(console, &msg);
    if (status != HB_OK)
        exit_with(status);
}
