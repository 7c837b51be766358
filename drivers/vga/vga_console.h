// VGA text-mode console: 80x25 cells of (character, attribute) at the framebuffer the boot code hands in
// (0xB8000, identity-mapped), scrolling, and the hardware cursor through the CRT controller's index/data
// ports (IBM VGA technical reference, CRTC registers 0x0E/0x0F "Cursor Location High/Low").
#pragma once
#include "kernel/io.h"
#include "kernel/spinlock.h"

class VgaConsole {
public:
    static constexpr unsigned COLS = 80, ROWS = 25;
    static constexpr uint8_t ATTR_DEFAULT = 0x07;  // light grey on black

    VgaConsole(PortIo& io, volatile uint16_t* framebuffer) : io_(io), fb_(framebuffer) {}
    // Clear the screen and home the cursor. Boot.
    void clear();
    // Any context; takes the console lock with interrupts saved. Handles \n, \r, \t, \b.
    void write(const char* s, size_t len);
    // For the exception report: no lock (the faulting path may hold it). Interrupts off.
    void write_unlocked(const char* s, size_t len);
    unsigned row() const { return row_; }
    unsigned col() const { return col_; }

private:
    void put(char c);
    void scroll();
    void update_cursor();

    PortIo& io_;
    volatile uint16_t* fb_;
    unsigned row_ = 0, col_ = 0;
    raw_spinlock_t lock_;
};

// Create the screen console on `framebuffer` and register it with printk as "vga" and with the console
// tty as a terminal. Boot.
VgaConsole* vga_console_init(PortIo& io, volatile uint16_t* framebuffer);
// The registered console, or nullptr before vga_console_init.
VgaConsole* vga_console();
