// Circular doubly linked lists with the node embedded in the object (Linux include/linux/list.h's
// list_head and its names), for run queues, wait queues, tasklet and work lists: adding and removing
// never allocate, and an object can be unlinked knowing only itself. The caller provides the locking.
#pragma once
#include "kernel/types.h"

struct list_head {
    list_head* next = nullptr;  // both NULL: not initialised yet (INIT_LIST_HEAD makes it an empty list)
    list_head* prev = nullptr;
};

// An empty list, or a node that is on no list (list_del_init leaves it so).
#define LIST_HEAD_INIT(name) \
    { &(name), &(name) }
// The links are stored whole (WRITE_ONCE, as Linux's list.h does): list_empty_careful reads a node's
// links without the list's lock while other nodes are added and removed around it.
static inline void INIT_LIST_HEAD(list_head* list) {
    WRITE_ONCE(list->next, list);
    WRITE_ONCE(list->prev, list);
}

static inline void list_insert_between(list_head* node, list_head* prev, list_head* next) {
    WRITE_ONCE(next->prev, node);
    node->next = next;
    node->prev = prev;
    WRITE_ONCE(prev->next, node);
}
// After `head`: a stack (or a node placed after another).
static inline void list_add(list_head* node, list_head* head) { list_insert_between(node, head, head->next); }
// Before `head`: a queue (or a node placed before another).
static inline void list_add_tail(list_head* node, list_head* head) { list_insert_between(node, head->prev, head); }
// Unlink `entry` and make it an empty list again, so list_empty(entry) tells that it is on no list.
static inline void list_del_init(list_head* entry) {
    WRITE_ONCE(entry->next->prev, entry->prev);
    WRITE_ONCE(entry->prev->next, entry->next);
    INIT_LIST_HEAD(entry);
}
static inline bool list_empty(const list_head* head) { return head->next == head; }
// Without the list's lock, for a node that only other CPUs may unlink (Linux list_empty_careful): both
// links must point back at it.
static inline bool list_empty_careful(const list_head* head) {
    const list_head* next = __atomic_load_n(&head->next, __ATOMIC_ACQUIRE);
    return next == head && next == __atomic_load_n(&head->prev, __ATOMIC_RELAXED);
}
static inline bool list_is_singular(const list_head* head) { return !list_empty(head) && head->next == head->prev; }
// Move `entry` to the tail of `head` (Linux list_move_tail).
static inline void list_move_tail(list_head* entry, list_head* head) {
    list_del_init(entry);
    list_add_tail(entry, head);
}

// The object that embeds `ptr` as its `member` (Linux container_of).
#define container_of(ptr, type, member) \
    reinterpret_cast<type*>(reinterpret_cast<char*>(ptr) - __builtin_offsetof(type, member))
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)
// The first entry or NULL for an empty list.
#define list_first_entry_or_null(head, type, member) (list_empty(head) ? nullptr : list_first_entry(head, type, member))
// Walk the entries; `pos` must not be removed during the walk (use list_for_each_entry_safe for that).
#define list_for_each_entry(pos, head, member)                                             \
    for (pos = list_entry((head)->next, __typeof__(*pos), member); &pos->member != (head); \
         pos = list_entry(pos->member.next, __typeof__(*pos), member))
#define list_for_each_entry_safe(pos, n, head, member)              \
    for (pos = list_entry((head)->next, __typeof__(*pos), member),  \
        n = list_entry(pos->member.next, __typeof__(*pos), member); \
         &pos->member != (head); pos = n, n = list_entry(n->member.next, __typeof__(*n), member))
