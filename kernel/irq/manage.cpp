// Allocating and releasing a line for a driver (Linux kernel/irq/manage.c request_threaded_irq,
// __setup_irq, free_irq, __free_irq), with Linux's checks in Linux's order and its messages.
// irqos has no threaded handlers yet: a NULL handler would need irq_default_primary_handler plus a
// thread to wake, so request_irq with handler == NULL is -EINVAL (Linux's answer when thread_fn is
// NULL too, which is always the case through request_irq).
// Linux manage.c prefixes its pr_*() messages with "genirq: "; so do these, the same messages.
#define pr_fmt(fmt) "genirq: " fmt
#include "kernel/irq/internals.h"
#include "kernel/irq/irqdomain.h"
#include "kernel/preempt.h"
#include "kernel/printk.h"
#include "kernel/slab.h"

// Process context (takes desc->lock with interrupts saved; the kernel may sleep in kmalloc later).
// Linux __setup_irq without threads, nesting or irq domains. `new_action` is fully initialised.
static int __setup_irq(unsigned irq, irq_desc* desc, irqaction* new_action) {
    if (desc->irq_data.chip == &no_irq_chip) return -ENOSYS;
    new_action->irq = irq;
    // A nested-thread line is handled from its parent's thread (handle_nested_irq): only a thread
    // function can run there, and request_irq has none to give.
    if (irq_settings_is_nested_thread(desc) && !new_action->thread_fn) return -EINVAL;
    // No trigger asked for: take the line's current one (also what the mismatch message prints).
    if (!(new_action->flags & IRQF_TRIGGER_MASK)) new_action->flags |= irqd_get_trigger_type(&desc->irq_data);
    if (desc->irq_data.chip->flags() & IRQCHIP_ONESHOT_SAFE) new_action->flags &= ~IRQF_ONESHOT;

    unsigned long flags;
    raw_spin_lock_irqsave(&desc->lock, flags);
    irqaction** old_ptr = &desc->action;
    irqaction* old = desc_first_action(desc);
    unsigned long thread_mask = 0;
    bool shared = false;
    int ret = 0;

    if (old) {
        // Sharing needs both to agree to it and to the trigger, ONESHOT and per-CPU-ness: the line is
        // configured once, for everybody on it.
        unsigned oldtype;
        if (irqs_has(desc, IRQS_NMI)) {
            pr_err("Invalid attempt to share NMI for %s (irq %d) on irqchip %s.\n", new_action->name, (int)irq,
                   desc->irq_data.chip->name());
            ret = -EINVAL;
            goto out_unlock;
        }
        if (irqd_trigger_type_was_set(&desc->irq_data)) {
            oldtype = irqd_get_trigger_type(&desc->irq_data);
        } else {  // nobody configured it: the newcomer's trigger becomes the line's
            oldtype = new_action->flags & IRQF_TRIGGER_MASK;
            irqd_set_trigger_type(&desc->irq_data, oldtype);
        }
        if (!((old->flags & new_action->flags) & IRQF_SHARED) || oldtype != (new_action->flags & IRQF_TRIGGER_MASK))
            goto mismatch;
        if ((old->flags & IRQF_ONESHOT) && (new_action->flags & IRQF_COND_ONESHOT))
            new_action->flags |= IRQF_ONESHOT;
        else if ((old->flags ^ new_action->flags) & IRQF_ONESHOT)
            goto mismatch;
        if ((old->flags & IRQF_PERCPU) != (new_action->flags & IRQF_PERCPU)) goto mismatch;
        do {  // new actions go at the tail: handlers run in request order
            thread_mask |= old->thread_mask;
            old_ptr = &old->next;
            old = action_next(old);
        } while (old);
        shared = true;
    }

    if (new_action->flags & IRQF_ONESHOT) {
        if (thread_mask == ~0UL) {
            ret = -EBUSY;
            goto out_unlock;
        }
        new_action->thread_mask = 1UL << __builtin_ctzl(~thread_mask);
    }

    if (!shared) {
        if (new_action->flags & IRQF_TRIGGER_MASK) {
            ret = __irq_set_trigger(desc, (unsigned)(new_action->flags & IRQF_TRIGGER_MASK));
            if (ret) goto out_unlock;
        }
        // Linux irq_activate: every domain level, the vector domain assigning the vector.
        ret = irq_domain_activate_irq(&desc->irq_data, false);
        if (ret) goto out_unlock;
        irqs_clear(desc, IRQS_AUTODETECT | IRQS_SPURIOUS_DISABLED | IRQS_ONESHOT | IRQS_WAITING);
        irqd_clear(&desc->irq_data, IRQD_IRQ_INPROGRESS);
        if (new_action->flags & IRQF_PERCPU) {
            irqd_set(&desc->irq_data, IRQD_PER_CPU);
            irq_settings_set(desc, IRQ_PER_CPU);
            if (new_action->flags & IRQF_NO_DEBUG) irq_settings_set(desc, IRQ_NO_DEBUG);
        }
        if (noirqdebug) irq_settings_set(desc, IRQ_NO_DEBUG);
        if (new_action->flags & IRQF_ONESHOT) irqs_set(desc, IRQS_ONESHOT);
        if (new_action->flags & IRQF_NOBALANCING) irq_settings_set(desc, IRQ_NO_BALANCING);
        if (!(new_action->flags & IRQF_NO_AUTOEN) && irq_settings_can_autoenable(desc)) {
            irq_startup(desc, IRQ_RESEND);
        } else {
            // A sharer could arrive while it is still off and wait for interrupts forever.
            WARN_ON_ONCE(new_action->flags & IRQF_SHARED);
            desc->depth = 1;  // undo nested disables: enable_irq starts it
        }
    } else if (new_action->flags & IRQF_TRIGGER_MASK) {
        unsigned nmsk = (unsigned)(new_action->flags & IRQF_TRIGGER_MASK);
        unsigned omsk = irqd_get_trigger_type(&desc->irq_data);
        if (nmsk != omsk) pr_warn("irq %d uses trigger mode %u; requested %u\n", (int)irq, omsk, nmsk);
    }

    action_link(old_ptr, new_action);  // published last: a running flow sees it whole or not at all
    // A new handler gets a fresh chance with the spurious detector...
    racy_write(desc->irq_count, 0);
    racy_write(desc->irqs_unhandled, 0);
    // ...and a line the detector shut down is reopened if the newcomer may be the one who cares.
    if (shared && irqs_has(desc, IRQS_SPURIOUS_DISABLED)) {
        irqs_clear(desc, IRQS_SPURIOUS_DISABLED);
        __enable_irq(desc);
    }
    raw_spin_unlock_irqrestore(&desc->lock, flags);
    return 0;

mismatch:
    if (!(new_action->flags & IRQF_PROBE_SHARED))
        pr_err("Flags mismatch irq %d. %08x (%s) vs. %08x (%s)\n", (int)irq, (unsigned)new_action->flags,
               new_action->name, (unsigned)old->flags, old->name);
    ret = -EBUSY;
out_unlock:
    raw_spin_unlock_irqrestore(&desc->lock, flags);
    return ret;
}

// See interrupt.h for the error list. Process context.
int request_irq(unsigned irq, irq_handler_t handler, unsigned long flags, const char* name, void* dev_id) {
    if (irq == IRQ_NOTCONNECTED) return -ENOTCONN;
    // A shared line identifies the action to free by dev_id, so it must be unique and non-NULL; and a
    // shared line cannot start disabled (the other sharers would never see an interrupt).
    if (((flags & IRQF_SHARED) && !dev_id) || ((flags & IRQF_SHARED) && (flags & IRQF_NO_AUTOEN)) ||
        (!(flags & IRQF_SHARED) && (flags & IRQF_COND_SUSPEND)) ||
        ((flags & IRQF_NO_SUSPEND) && (flags & IRQF_COND_SUSPEND)))
        return -EINVAL;
    irq_desc* desc = irq_to_desc(irq);
    if (!desc) return -EINVAL;
    if (!irq_settings_can_request(desc) || WARN_ON(irq_settings_is_per_cpu_devid(desc))) return -EINVAL;
    if (!handler) return -EINVAL;  // no thread_fn through request_irq (see the file comment)

    auto* action = static_cast<irqaction*>(kzalloc(sizeof(irqaction)));  // all-zero is a valid irqaction
    if (!action) return -ENOMEM;
    action->handler = handler;
    action->flags = flags;
    action->name = name;
    action->dev_id = dev_id;

    int ret = __setup_irq(irq, desc, action);
    if (ret) kfree(action);
    return ret;
}

// Process context: waits for running handlers. Returns the freed action, or NULL (WARN) if `dev_id`
// has no action on this line.
static irqaction* __free_irq(irq_desc* desc, void* dev_id) {
    unsigned irq = irq_desc_get_irq(desc);
    WARN(in_interrupt(), "Trying to free IRQ %d from IRQ context!\n", (int)irq);

    unsigned long flags;
    raw_spin_lock_irqsave(&desc->lock, flags);
    irqaction** action_ptr = &desc->action;
    irqaction* action;
    for (;;) {
        action = __atomic_load_n(action_ptr, __ATOMIC_RELAXED);  // lock held: we are the only writer
        if (!action) {
            WARN(1, "Trying to free already-free IRQ %d\n", (int)irq);
            raw_spin_unlock_irqrestore(&desc->lock, flags);
            return nullptr;
        }
        if (action->dev_id == dev_id) break;
        action_ptr = &action->next;
    }
    action_link(action_ptr, action_next(action));
    if (!desc_first_action(desc)) {
        // The line's next owner starts from the default (lazy) disable behaviour.
        irq_settings_clr(desc, IRQ_DISABLE_UNLAZY);
        irq_shutdown(desc);
    }
    raw_spin_unlock_irqrestore(&desc->lock, flags);

    // A CPU may still be running this action (it walked the chain before we unlinked it): wait, so
    // the caller may free dev_id's memory and we may free the action.
    synchronize_irq(irq);
    // Linux holds request_mutex from the unlink to here, so no request_irq can slip in. irqos has no
    // such mutex: decide under the lock, or a request_irq that ran in between (and set ACTIVATED)
    // would be undone.
    raw_spin_lock_irqsave(&desc->lock, flags);
    if (!desc->action) irq_domain_deactivate_irq(&desc->irq_data);
    raw_spin_unlock_irqrestore(&desc->lock, flags);
    return action;
}

// Process context; see interrupt.h. The name pointer is the caller's (as given to request_irq).
const void* free_irq(unsigned irq, void* dev_id) {
    irq_desc* desc = irq_to_desc(irq);
    if (!desc || WARN_ON(irq_settings_is_per_cpu_devid(desc))) return nullptr;
    irqaction* action = __free_irq(desc, dev_id);
    if (!action) return nullptr;
    const char* devname = action->name;
    kfree(action);
    return devname;
}
