// Circular doubly linked lists with the node embedded in the object (Linux include/linux/list.h's
// list_head and its names), for run queues, wait queues, tasklet and work lists: adding and removing
// never allocate, and an object can be unlinked knowing only itself. The caller provides the locking.
// Below them Linux's hlist, the one-pointer-headed kind used for tables of lists (the timer wheel).
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

// Singly headed lists (Linux's hlist_head / hlist_node): a head is one pointer, so a table of them stays
// small (the timer wheel's buckets) and an all-zero head is already an empty list, constant-initialised.
// Each node keeps the address of the pointer that points to it (pprev), so it can unlink itself; a NULL
// pprev means "on no list" (hlist_unhashed). Linux writes next/pprev with WRITE_ONCE because
// hlist_unhashed_lockless and hlist_empty may read them without the lock; here those stores and loads are
// relaxed atomics, the same plain moves on x86, and ThreadSanitizer knows they are meant.
struct hlist_node {
    hlist_node* next = nullptr;
    hlist_node** pprev = nullptr;
};
struct hlist_head {
    hlist_node* first = nullptr;
};

// What a deleted node's next holds until it is added again (Linux's LIST_POISON2, non-canonical on x86-64):
// following it faults at once instead of walking a list the node has left.
#define HLIST_POISON reinterpret_cast<hlist_node*>(0xdead000000000122UL)

template <typename T>
static inline void hlist_write_once(T* p, T v) {
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
static inline void INIT_HLIST_HEAD(hlist_head* h) { hlist_write_once(&h->first, (hlist_node*)nullptr); }
static inline void INIT_HLIST_NODE(hlist_node* n) {
    n->next = nullptr;
    hlist_write_once(&n->pprev, (hlist_node**)nullptr);
}
// On no list. The caller holds the list's lock; the _lockless form is for a racy peek (timer_pending).
static inline bool hlist_unhashed(const hlist_node* n) { return !n->pprev; }
static inline bool hlist_unhashed_lockless(const hlist_node* n) {
    return !__atomic_load_n(&n->pprev, __ATOMIC_RELAXED);
}
static inline bool hlist_empty(const hlist_head* h) { return !__atomic_load_n(&h->first, __ATOMIC_RELAXED); }
// Unlink `n`; its own fields are left as they were (the caller clears or poisons them).
static inline void __hlist_del(hlist_node* n) {
    hlist_node* next = n->next;
    hlist_node** pprev = n->pprev;
    hlist_write_once(pprev, next);
    if (next) hlist_write_once(&next->pprev, pprev);
}
static inline void hlist_del_init(hlist_node* n) {
    if (hlist_unhashed(n)) return;
    __hlist_del(n);
    INIT_HLIST_NODE(n);
}
static inline void hlist_add_head(hlist_node* n, hlist_head* h) {
    hlist_node* first = h->first;
    hlist_write_once(&n->next, first);
    if (first) hlist_write_once(&first->pprev, &n->next);
    hlist_write_once(&h->first, n);
    hlist_write_once(&n->pprev, &h->first);
}
// `n` is the only node of `h`.
static inline bool hlist_is_singular_node(const hlist_node* n, const hlist_head* h) {
    return !n->next && n->pprev == &h->first;
}
// Move every node of `old` to `to` (which must be empty); `old` is left empty.
static inline void hlist_move_list(hlist_head* old, hlist_head* to) {
    hlist_write_once(&to->first, old->first);
    if (to->first) hlist_write_once(&to->first->pprev, &to->first);
    hlist_write_once(&old->first, (hlist_node*)nullptr);
}
#define hlist_entry(ptr, type, member) container_of(ptr, type, member)
#define hlist_entry_safe(ptr, type, member) ((ptr) ? hlist_entry(ptr, type, member) : nullptr)
// Walk the entries; `pos` must not be removed during the walk.
#define hlist_for_each_entry(pos, head, member)                                  \
    for (pos = hlist_entry_safe((head)->first, __typeof__(*(pos)), member); pos; \
         pos = hlist_entry_safe((pos)->member.next, __typeof__(*(pos)), member))
