// VGA text console (see vga_console.h): a printk console and a terminal of the console tty. The cursor
// is moved through CRTC index port 0x3D4 and data port 0x3D5 (colour mode I/O addresses), registers 0x0E
// (location high) and 0x0F (location low).
#include "drivers/vga/vga_console.h"
#include "kernel/printk.h"
#include "kernel/tty.h"

namespace {
constexpr uint16_t CRTC_INDEX = 0x3D4, CRTC_DATA = 0x3D5;
constexpr uint8_t CRTC_CURSOR_HIGH = 0x0E, CRTC_CURSOR_LOW = 0x0F;
constexpr unsigned TAB_WIDTH = 8;

VgaConsole* the_vga = nullptr;

void vga_console_write(const char* text, size_t len) {
    if (the_vga) the_vga->write(text, len);
}
console vga_printk_console = {"vga", vga_console_write, 0, nullptr};  // 0: console_loglevel

// The screen as a terminal of the console tty: it takes everything at once.
size_t vga_tty_write(const char* text, size_t len) {
    vga_console_write(text, len);
    return len;
}
tty_output vga_tty_output = {"vga", vga_tty_write, nullptr};

uint16_t cell(char c) { return uint16_t(uint8_t(c)) | uint16_t(VgaConsole::ATTR_DEFAULT) << 8; }
}  // namespace

void VgaConsole::clear() {
    for (unsigned i = 0; i < COLS * ROWS; i++) fb_[i] = cell(' ');
    row_ = col_ = 0;
    update_cursor();
}

void VgaConsole::scroll() {
    for (unsigned i = 0; i < COLS * (ROWS - 1); i++) fb_[i] = fb_[i + COLS];
    for (unsigned i = COLS * (ROWS - 1); i < COLS * ROWS; i++) fb_[i] = cell(' ');
    row_ = ROWS - 1;
}

void VgaConsole::put(char c) {
    switch (c) {
    case '\n':
        col_ = 0;
        row_++;
        break;
    case '\r':
        col_ = 0;
        break;
    case '\t':
        col_ = (col_ + TAB_WIDTH) & ~(TAB_WIDTH - 1);
        break;
    case '\b':
        if (col_ > 0) col_--;
        fb_[row_ * COLS + col_] = cell(' ');
        break;
    default:
        fb_[row_ * COLS + col_] = cell(c);
        col_++;
        break;
    }
    if (col_ >= COLS) {
        col_ = 0;
        row_++;
    }
    if (row_ >= ROWS) scroll();
}

void VgaConsole::update_cursor() {
    uint16_t pos = uint16_t(row_ * COLS + col_);
    io_.outb(CRTC_INDEX, CRTC_CURSOR_HIGH);
    io_.outb(CRTC_DATA, uint8_t(pos >> 8));
    io_.outb(CRTC_INDEX, CRTC_CURSOR_LOW);
    io_.outb(CRTC_DATA, uint8_t(pos & 0xff));
}

void VgaConsole::write_unlocked(const char* s, size_t len) {
    for (size_t i = 0; i < len; i++) put(s[i]);
    update_cursor();
}

void VgaConsole::write(const char* s, size_t len) {
    unsigned long flags;
    raw_spin_lock_irqsave(&lock_, flags);
    write_unlocked(s, len);
    raw_spin_unlock_irqrestore(&lock_, flags);
}

VgaConsole* vga_console_init(PortIo& io, volatile uint16_t* framebuffer) {
    // Static storage: the console exists before the heap (and must survive a broken one). One screen.
    static VgaConsole vga(io, framebuffer);
    the_vga = &vga;
    the_vga->clear();
    register_console(&vga_printk_console);
    tty_register_output(&vga_tty_output);
    return the_vga;
}

VgaConsole* vga_console() { return the_vga; }
