// i8042 keyboard controller driver and scancode set 1 decoder (see i8042.h). Controller steps follow
// Linux i8042.c (i8042_controller_init, i8042_interrupt); the keymap is the US layout of the Linux console.
#include "drivers/keyboard/i8042.h"
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/tty.h"

using namespace i8042;

namespace {

// Scancode set 1, make codes 0x00-0x39. 0 = no character (modifiers, unused codes).
constexpr unsigned KEYMAP_SIZE = 0x3A;
constexpr char keymap_plain[KEYMAP_SIZE + 1] =
    "\0\x1b"
    "1234567890-="
    "\x7f\t"
    "qwertyuiop[]"
    "\r\0"
    "asdfghjkl;'`"
    "\0\\"
    "zxcvbnm,./"
    "\0*\0 ";
constexpr char keymap_shift[KEYMAP_SIZE + 1] =
    "\0\x1b"
    "!@#$%^&*()_+"
    "\x7f\t"
    "QWERTYUIOP{}"
    "\r\0"
    "ASDFGHJKL:\"~"
    "\0|"
    "ZXCVBNM<>?"
    "\0*\0 ";
static_assert(sizeof(keymap_plain) == KEYMAP_SIZE + 1 && sizeof(keymap_shift) == KEYMAP_SIZE + 1);

constexpr uint8_t SC_BREAK = 0x80;      // set 1: make code | 0x80 = key released
constexpr uint8_t SC_PREFIX_E0 = 0xE0;  // extended key follows
constexpr uint8_t SC_PREFIX_E1 = 0xE1;  // Pause: E1 1D 45 E1 9D C5
constexpr unsigned SC_E1_TAIL = 2;      // bytes after each E1 of the Pause sequence
constexpr uint8_t SC_LCTRL = 0x1D, SC_LSHIFT = 0x2A, SC_RSHIFT = 0x36, SC_CAPSLOCK = 0x3A;
constexpr uint8_t SC_ENTER = 0x1C, SC_SLASH = 0x35;
// 0xE0-prefixed keys that produce terminal sequences.
constexpr uint8_t SC_E0_HOME = 0x47, SC_E0_UP = 0x48, SC_E0_LEFT = 0x4B, SC_E0_RIGHT = 0x4D, SC_E0_END = 0x4F,
                  SC_E0_DOWN = 0x50, SC_E0_DELETE = 0x53;
constexpr char CTRL_MASK = 0x1F;  // Ctrl+letter = the letter's low five bits

unsigned put_seq(char out[4], const char* s) {
    unsigned n = 0;
    while (s[n] && n < 4) {
        out[n] = s[n];
        n++;
    }
    return n;
}

PortIo* kbd_io;
raw_spinlock_t i8042_lock;  // the controller's command/data protocol is one conversation at a time
KeyboardDecoder decoder;    // touched only by the IRQ1 handler (one CPU at a time per line)
unsigned long scancodes;
bool irq_requested;
int kbd_dev_id;  // dev_id cookie for request_irq/free_irq

// Lock held. Linux i8042_wait_write / i8042_wait_read: bounded polls with a 50 us pause.
int wait_write(PortIo& io) {
    for (unsigned i = 0; i < I8042_CTL_TIMEOUT; i++) {
        if (!(io.inb(I8042_STATUS_REG) & I8042_STR_IBF)) return 0;
        io.udelay(I8042_POLL_US);
    }
    return -ETIMEDOUT;
}

int wait_read(PortIo& io) {
    for (unsigned i = 0; i < I8042_CTL_TIMEOUT; i++) {
        if (io.inb(I8042_STATUS_REG) & I8042_STR_OBF) return 0;
        io.udelay(I8042_POLL_US);
    }
    return -ETIMEDOUT;
}

int command(PortIo& io, uint8_t cmd) {
    if (int err = wait_write(io)) return err;
    io.outb(I8042_COMMAND_REG, cmd);
    return 0;
}

// A command that takes one parameter byte on the data port (write CTR, loop a byte back).
int command_with_arg(PortIo& io, uint8_t cmd, uint8_t arg) {
    if (int err = command(io, cmd)) return err;
    if (int err = wait_write(io)) return err;
    io.outb(I8042_DATA_REG, arg);
    return 0;
}

// Hard-IRQ context. One byte per interrupt, as the controller raises IRQ1 once per byte. No byte
// waiting means the interrupt was not ours: IRQ_NONE, so spurious accounting sees it.
irqreturn_t i8042_interrupt(int, void*) {
    uint8_t status, data;
    {
        SpinLockIrqSave guard(i8042_lock);
        status = kbd_io->inb(I8042_STATUS_REG);
        if (!(status & I8042_STR_OBF)) return IRQ_NONE;
        data = kbd_io->inb(I8042_DATA_REG);
    }
    if (status & I8042_STR_AUXDATA) return IRQ_HANDLED;  // a mouse byte: read (so it clears), not decoded
    __atomic_fetch_add(&scancodes, 1, __ATOMIC_RELAXED);
    char out[4];
    unsigned n = decoder.feed(data, out);
    for (unsigned i = 0; i < n; i++) tty_receive_char(out[i]);
    return IRQ_HANDLED;
}

}  // namespace

unsigned KeyboardDecoder::feed(uint8_t sc, char out[4]) {
    if (e1_skip) {
        e1_skip--;
        return 0;
    }
    if (sc == SC_PREFIX_E1) {
        e1_skip = SC_E1_TAIL;
        return 0;
    }
    if (sc == SC_PREFIX_E0) {
        e0 = true;
        return 0;
    }
    bool extended = e0;
    e0 = false;
    bool released = sc & SC_BREAK;
    uint8_t code = sc & (uint8_t)~SC_BREAK;

    if (extended) {
        if (code == SC_LCTRL) {  // right Ctrl
            rctrl = !released;
            return 0;
        }
        if (released) return 0;
        switch (code) {
        case SC_ENTER:
            out[0] = '\r';
            return 1;  // keypad Enter
        case SC_SLASH:
            out[0] = '/';
            return 1;  // keypad /
        case SC_E0_UP:
            return put_seq(out, "\x1b[A");
        case SC_E0_DOWN:
            return put_seq(out, "\x1b[B");
        case SC_E0_RIGHT:
            return put_seq(out, "\x1b[C");
        case SC_E0_LEFT:
            return put_seq(out, "\x1b[D");
        case SC_E0_HOME:
            return put_seq(out, "\x1b[H");
        case SC_E0_END:
            return put_seq(out, "\x1b[F");
        case SC_E0_DELETE:
            return put_seq(out, "\x1b[3~");
        default:
            return 0;  // fake shifts (E0 2A/E0 36), right Alt, multimedia keys
        }
    }

    switch (code) {
    case SC_LSHIFT:
        lshift = !released;
        return 0;
    case SC_RSHIFT:
        rshift = !released;
        return 0;
    case SC_LCTRL:
        lctrl = !released;
        return 0;
    case SC_CAPSLOCK:
        if (!released) capslock = !capslock;
        return 0;
    default:
        break;
    }
    if (released || code >= KEYMAP_SIZE) return 0;

    char plain = keymap_plain[code];
    if (!plain) return 0;
    bool letter = plain >= 'a' && plain <= 'z';
    bool shifted = lshift || rshift;
    char c = (letter ? (shifted != capslock) : shifted) ? keymap_shift[code] : plain;
    if ((lctrl || rctrl) && letter) c = (char)(plain & CTRL_MASK);
    out[0] = c;
    return 1;
}

int i8042_init(PortIo& io) {
    uint8_t ctr;
    {
        SpinLockIrqSave guard(i8042_lock);
        // Nothing decodes port 0x64 on a machine without the controller: the bus floats to 0xFF.
        if (io.inb(I8042_STATUS_REG) == 0xFF) {
            pr_info("i8042: No controller found\n");
            return -ENODEV;
        }
        int err = command(io, I8042_CMD_KBD_DISABLE);
        if (!err) err = command(io, I8042_CMD_AUX_DISABLE);
        if (err) {
            pr_err("i8042: controller does not accept commands\n");
            return err;
        }
        unsigned flushed = 0;  // keystrokes typed during boot, stale controller replies
        while ((io.inb(I8042_STATUS_REG) & I8042_STR_OBF) && flushed < I8042_BUFFER_SIZE) {
            io.inb(I8042_DATA_REG);
            flushed++;
        }
        if (flushed == I8042_BUFFER_SIZE) pr_warn("i8042: output buffer does not drain, continuing\n");

        err = command(io, I8042_CMD_CTL_RCTR);
        if (!err) err = wait_read(io);
        if (err) {
            pr_err("i8042: Can't read CTR while initializing i8042\n");
            return err;
        }
        ctr = io.inb(I8042_DATA_REG);
        // Translation on (set 1 for the decoder), both ports quiet, no interrupts until the handler is in.
        ctr = (uint8_t)((ctr & ~(I8042_CTR_KBDINT | I8042_CTR_AUXINT)) | I8042_CTR_XLATE | I8042_CTR_AUXDIS |
                        I8042_CTR_KBDDIS);
        if ((err = command_with_arg(io, I8042_CMD_CTL_WCTR, ctr))) {
            pr_err("i8042: Can't write CTR while initializing i8042\n");
            return err;
        }
        kbd_io = &io;
        decoder = KeyboardDecoder{};
    }

    // Shared, as Linux's i8042 requests it: the handler answers IRQ_NONE when no byte waits, so another
    // device on the line (or a test's handler) can be asked too.
    int err = request_irq(I8042_KBD_IRQ, i8042_interrupt, IRQF_SHARED, "i8042", &kbd_dev_id);
    if (err) {
        pr_err("i8042: Can't get irq %u for KBD, unregistering the port.\n", I8042_KBD_IRQ);
        return err;
    }
    irq_requested = true;

    {
        SpinLockIrqSave guard(i8042_lock);
        ctr = (uint8_t)((ctr | I8042_CTR_KBDINT) & ~I8042_CTR_KBDDIS);
        err = command_with_arg(io, I8042_CMD_CTL_WCTR, ctr);
        if (!err) err = command(io, I8042_CMD_KBD_ENABLE);
    }
    if (err) {
        // Give the line back (outside the lock: free_irq waits for a running handler).
        pr_err("i8042: Can't enable the keyboard port\n");
        free_irq(I8042_KBD_IRQ, &kbd_dev_id);
        irq_requested = false;
        return err;
    }
    pr_info("serio: i8042 KBD port at 0x%x,0x%x irq %u\n", I8042_DATA_REG, I8042_COMMAND_REG, I8042_KBD_IRQ);
    return 0;
}

int i8042_inject_scancode(uint8_t scancode) {
    SpinLockIrqSave guard(i8042_lock);
    if (!kbd_io) return -ENODEV;
    return command_with_arg(*kbd_io, I8042_CMD_KBD_LOOP, scancode);
}

unsigned long i8042_scancode_count() { return READ_ONCE(scancodes); }

void i8042_shutdown() {
    if (irq_requested) free_irq(I8042_KBD_IRQ, &kbd_dev_id);
    irq_requested = false;
    SpinLockIrqSave guard(i8042_lock);
    kbd_io = nullptr;
}
