/*
 * bench-insn-plugin.c - QEMU TCG plugin (host side) for `make bench-profile`.
 *
 * Counts executed guest instructions and splits them into the phases the
 * bench program marks: a begin mark is `hint #0x7f; movz xzr, #1`, an end
 * mark `hint #0x7f; movz xzr, #2` (both no-ops; see user/programs/src/bin/
 * bench.rs). The k-th begin mark opens phase k; the bench names it on its
 * `PHASE k <name> <ops>` console line. Instructions are what the guest
 * executed, so idle time (wfi while the host does disk I/O) is excluded:
 * this is the "busy" side of the guest-ns figures.
 *
 * Output (out=FILE, default /tmp/bench-insn.txt), written at exit:
 *   TOTAL <all> kernel <n> user <n>
 *   MARK <seq> <id> <all-so-far>
 *   P <phase> <tb-vaddr-hex> <insns-per-tb> <executions-in-phase>
 * Phase -1 is the boot: from reset to the first start mark (id 3, the
 * bench's first instruction).
 *
 * Counts are per translation block, taken when a block starts, so an
 * exception in the middle of a block over-counts its tail (negligible).
 * Only the few plugin API calls used are declared (API stable since QEMU
 * 9.0, where qemu_plugin_insn_data copies into a buffer); no QEMU headers
 * are needed. Build: gcc -O2 -shared -fPIC -o bench-insn.so bench-insn-plugin.c
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
EXPORT int qemu_plugin_version = 2;

typedef struct {
	const char *target_name;
	struct { int min, cur; } version;
	bool system_emulation;
	union { struct { int smp_vcpus, max_vcpus; } system; };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { CB_NO_REGS, CB_R_REGS, CB_RW_REGS };
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*vcpu_udata_cb_t)(unsigned int, void *);
typedef void (*udata_cb_t)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb_t);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *, vcpu_udata_cb_t,
					  enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *, vcpu_udata_cb_t,
					    enum qemu_plugin_cb_flags, void *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
size_t qemu_plugin_insn_data(const struct qemu_plugin_insn *, void *, size_t);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, udata_cb_t, void *);

#define MAX_PHASES 256
#define BOOT_PHASE (MAX_PHASES - 1) /* reset .. first start mark */
#define MAX_MARKS 4096
#define HINT_7F 0xd5032fffu
#define MOVZ_XZR_MASK 0xffe0001fu /* movz xzr, #imm16 (hw = 0) */
#define MOVZ_XZR 0xd280001fu

struct tbrec {
	uint64_t va, n;
	uint64_t *cnt; /* per phase, allocated on first use in a phase */
	struct tbrec *next;
};
static struct tbrec *head;
static uint64_t total, total_kernel, total_user;
static int cur = BOOT_PHASE, nphases;
static bool started;
static struct { int id; uint64_t at; } marks[MAX_MARKS];
static int nmarks;
static const char *out = "/tmp/bench-insn.txt";

static void tb_exec(unsigned int vcpu, void *ud)
{
	struct tbrec *r = ud;
	(void)vcpu;
	total += r->n;
	if (r->va >> 63)
		total_kernel += r->n;
	else
		total_user += r->n;
	if (cur >= 0) {
		if (!r->cnt)
			r->cnt = calloc(MAX_PHASES, sizeof *r->cnt);
		if (r->cnt)
			r->cnt[cur]++;
	}
}

static void mark_exec(unsigned int vcpu, void *ud)
{
	int id = (int)(uintptr_t)ud;
	(void)vcpu;
	if (nmarks < MAX_MARKS) {
		marks[nmarks].id = id;
		marks[nmarks].at = total;
		nmarks++;
	}
	if (id == 1)
		cur = nphases < BOOT_PHASE ? nphases++ : -1;
	else if (id == 2)
		cur = -1;
	else if (id == 3 && !started) {
		started = true;
		cur = -1;
	}
}

static uint32_t insn_word(struct qemu_plugin_tb *tb, size_t i)
{
	uint32_t w = 0;
	struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
	if (insn && qemu_plugin_insn_data(insn, &w, sizeof w) != sizeof w)
		w = 0;
	return w;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct tbrec *r = calloc(1, sizeof *r);
	size_t n = qemu_plugin_tb_n_insns(tb);
	(void)id;
	r->va = qemu_plugin_tb_vaddr(tb);
	r->n = n;
	r->next = head;
	head = r;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, CB_NO_REGS, r);
	/* Marks live in user code only. */
	if (r->va >> 63)
		return;
	for (size_t i = 0; i + 1 < n; i++) {
		uint32_t w = insn_word(tb, i), next;
		if (w != HINT_7F)
			continue;
		next = insn_word(tb, i + 1);
		if ((next & MOVZ_XZR_MASK) == MOVZ_XZR)
			qemu_plugin_register_vcpu_insn_exec_cb(
				qemu_plugin_tb_get_insn(tb, i + 1), mark_exec, CB_NO_REGS,
				(void *)(uintptr_t)((next >> 5) & 0xffff));
	}
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	FILE *f = fopen(out, "w");
	(void)id; (void)p;
	if (!f)
		return;
	fprintf(f, "TOTAL %llu kernel %llu user %llu\n", (unsigned long long)total,
		(unsigned long long)total_kernel, (unsigned long long)total_user);
	for (int i = 0; i < nmarks; i++)
		fprintf(f, "MARK %d %d %llu\n", i, marks[i].id, (unsigned long long)marks[i].at);
	for (struct tbrec *r = head; r; r = r->next) {
		if (!r->cnt)
			continue;
		for (int k = 0; k < MAX_PHASES; k++)
			if (r->cnt[k] && (k < nphases || k == BOOT_PHASE))
				fprintf(f, "P %d %llx %llu %llu\n", k == BOOT_PHASE ? -1 : k,
					(unsigned long long)r->va, (unsigned long long)r->n,
					(unsigned long long)r->cnt[k]);
	}
	fclose(f);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			       int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out = argv[i] + 4;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
