// The x86 vector domain as the PCI-MSI domain sees it (kernel/irq/msi.h MsiParent), for the host tests:
// vectors handed out from 0x41 on one APIC ID, every call logged ("activate 24", "ack 24", ...).
#pragma once
#include "kernel/irq/msi.h"

#include <map>
#include <string>
#include <vector>

class FakeVectorParent final : public MsiParent {
public:
    unsigned next_vector = 0x41;
    uint32_t apicid = 1;
    int fail = 0;  // activate's answer when not 0
    std::vector<std::string> log;
    std::map<unsigned, unsigned> irq_of_vector;  // where a message with this vector lands
    int activate(unsigned irq, irq_cfg* cfg) override {
        log.push_back("activate " + std::to_string(irq));
        if (fail) return fail;
        cfg->vector = next_vector++;
        cfg->dest_apicid = apicid;
        irq_of_vector[cfg->vector] = irq;
        return 0;
    }
    void deactivate(unsigned irq) override { log.push_back("deactivate " + std::to_string(irq)); }
    void ack(irq_data* d) override { log.push_back("ack " + std::to_string(d->irq)); }
    unsigned count(const std::string& what) const {
        unsigned n = 0;
        for (auto& s : log) n += s == what;
        return n;
    }
};
