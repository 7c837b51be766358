// The printk log, shared by kernel/printk.cpp (which stores records) and kernel/console.cpp (which
// hands them to the consoles): Linux's printk ringbuffer (kernel/printk/printk_ringbuffer.c) reduced to
// a text ring plus a ring of record descriptors, both protected by one lock. Internal to printk.
#pragma once
#include "kernel/spinlock.h"
#include "kernel/types.h"

constexpr size_t LOG_BUF_LEN = 64 * 1024;  // text bytes kept (Linux's CONFIG_LOG_BUF_SHIFT=16)
constexpr size_t LOG_RECORDS = 2048;       // records kept: one per 32 bytes of text, as Linux sizes its descriptors
constexpr size_t PRINTK_LINE_MAX = 1024;   // one record's text at most (Linux: PRINTKRB_RECORD_MAX)

// Protects the log and every registered console's list link, seq and dropped count. Taken with
// interrupts off: printk works from any context.
extern raw_spinlock_t logbuf_lock;

// Append a record of `len` bytes (cut to PRINTK_LINE_MAX) at `level`; the oldest records make room.
// Returns its sequence number. logbuf_lock held.
uint64_t log_store(int level, const char* text, size_t len);
// Records [log_first_seq(), log_next_seq()) are readable. logbuf_lock held.
uint64_t log_first_seq();
uint64_t log_next_seq();
// Copy record `seq` into `buf` (PRINTK_LINE_MAX bytes); returns its length, or -1 if it is gone or not yet
// written. *level gets its level. logbuf_lock held.
long log_read(uint64_t seq, int* level, char* buf);
// printk_log_clear: later printk_log_read calls show nothing stored before now. logbuf_lock held.
void log_mark_cleared();
// Hand pending records to every console (kernel/console.cpp); `sync` writes them out synchronously
// (panic), otherwise a console with a transmit buffer takes what fits. logbuf_lock held.
void console_flush_all(bool sync);
// A panic's nested printk (from a console driver, or a fault inside printk): straight to every console's
// synchronous write, without the lock this CPU may already hold.
void console_write_direct(const char* text, size_t len);
