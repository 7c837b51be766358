// A message signalled interrupt as the device stores it (Linux include/linux/msi.h struct msi_msg) and
// the x86 format of its address and data (Intel SDM vol. 3A 11.11; Linux arch/x86/include/asm/msi.h
// and arch/x86/kernel/apic/apic.c __irq_msi_compose_msg): the device writes `data` to `address`, and
// the write to 0xFEEx_xxxx is an interrupt message to the local APIC named in the address, with the
// vector, delivery mode and trigger from the data. Every field is typed and constexpr, so the host
// tests check the encoding byte for byte.
#pragma once
#include "kernel/types.h"

struct msi_msg {
    uint32_t address_lo = 0;
    uint32_t address_hi = 0;
    uint32_t data = 0;
    constexpr bool operator==(const msi_msg&) const = default;
};

// Delivery modes of the data register (bits 10:8), Linux's APIC_DELIVERY_MODE_* names.
enum x86_msi_delivery_mode : uint8_t {
    APIC_DELIVERY_MODE_FIXED = 0,
    APIC_DELIVERY_MODE_LOWESTPRIO = 1,
    APIC_DELIVERY_MODE_SMI = 2,
    APIC_DELIVERY_MODE_NMI = 4,
    APIC_DELIVERY_MODE_INIT = 5,
    APIC_DELIVERY_MODE_EXTINT = 7,
};

// Address register, low dword (SDM figure 11-24): 0xFEE in bits 31:20, the destination APIC ID in
// bits 19:12, redirection hint (RH) in bit 3, destination mode (DM: 0 physical, 1 logical) in bit 2.
struct x86_msi_addr_lo {
    static constexpr uint32_t BASE_ADDRESS = 0xFEE00000;  // Linux X86_MSI_BASE_ADDRESS_LOW << 20
    static constexpr uint32_t BASE_MASK = 0xFFF00000;
    static constexpr unsigned DESTID_SHIFT = 12;
    static constexpr uint32_t REDIRECT_HINT = 1u << 3;
    static constexpr uint32_t DEST_MODE_LOGICAL = 1u << 2;

    uint8_t destid_0_7 = 0;
    bool redirect_hint = false;
    bool dest_mode_logical = false;

    constexpr uint32_t raw() const {
        return BASE_ADDRESS | (uint32_t)destid_0_7 << DESTID_SHIFT | (redirect_hint ? REDIRECT_HINT : 0) |
               (dest_mode_logical ? DEST_MODE_LOGICAL : 0);
    }
    static constexpr x86_msi_addr_lo decode(uint32_t v) {
        return {(uint8_t)(v >> DESTID_SHIFT), (v & REDIRECT_HINT) != 0, (v & DEST_MODE_LOGICAL) != 0};
    }
    // Does a write to this address reach the local APICs (0xFEEx_xxxx)?
    static constexpr bool is_apic(uint32_t v) { return (v & BASE_MASK) == BASE_ADDRESS; }
};

// Data register (SDM figure 11-25): vector in bits 7:0, delivery mode in 10:8, level (assert) in
// bit 14 (Linux calls the bit active_low; it matters only for level triggered messages), trigger mode
// in bit 15 (0 edge, 1 level). PCI MSI is always edge.
struct x86_msi_data {
    static constexpr unsigned DELIVERY_SHIFT = 8;
    static constexpr uint32_t DELIVERY_MASK = 0x7u << DELIVERY_SHIFT;
    static constexpr uint32_t LEVEL_ASSERT = 1u << 14;
    static constexpr uint32_t TRIGGER_LEVEL = 1u << 15;

    uint8_t vector = 0;
    x86_msi_delivery_mode delivery_mode = APIC_DELIVERY_MODE_FIXED;
    bool level_assert = false;
    bool is_level = false;

    constexpr uint32_t raw() const {
        return (uint32_t)vector | (uint32_t)delivery_mode << DELIVERY_SHIFT | (level_assert ? LEVEL_ASSERT : 0) |
               (is_level ? TRIGGER_LEVEL : 0);
    }
    static constexpr x86_msi_data decode(uint32_t v) {
        return {(uint8_t)v, (x86_msi_delivery_mode)((v & DELIVERY_MASK) >> DELIVERY_SHIFT), (v & LEVEL_ASSERT) != 0,
                (v & TRIGGER_LEVEL) != 0};
    }
};

// Linux __irq_msi_compose_msg for a plain (not remapped) destination: physical destination mode, no
// redirection hint, fixed delivery, edge; the upper address dword 0. An APIC ID above 0xFF cannot be
// named in this format (it needs interrupt remapping): the caller checks.
constexpr msi_msg x86_msi_compose_msg(uint8_t vector, uint8_t dest_apicid) {
    msi_msg msg;
    msg.address_lo = x86_msi_addr_lo{dest_apicid, false, false}.raw();
    msg.address_hi = 0;
    msg.data = x86_msi_data{vector, APIC_DELIVERY_MODE_FIXED, false, false}.raw();
    return msg;
}
constexpr unsigned X86_MSI_MAX_DESTID = 0xFF;
