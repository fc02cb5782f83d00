/* comm_grads.c — the gradient sum's strategies and their choice (see comm_grads.h). */
#include "comm_grads.h"

#include "error.h"
#ifdef CHARNN_WITH_NCCL
#include "comm_nccl.h"
#endif

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Seconds NCCL may take to start or to enqueue (a dead or stuck peer). */
enum { NCCL_TIMEOUT_S = 300 };

/* ---- single: one rank ---- */

static void single_sum(comm_grads *g, real *grads, double *loss) { (void)g, (void)grads, (void)loss; }

static const comm_grads_ops single_ops = {.name = "single", .sum = single_sum};

/* ---- host: the buffers are host memory ---- */

static void host_sum(comm_grads *g, real *grads, double *loss)
{
    comm_allreduce_double(loss, 1);
    comm_allreduce_float(grads, g->n);
}

static const comm_grads_ops host_ops = {.name = "host", .sum = host_sum};

/* ---- staged: device buffers through one pinned host buffer ---- */

typedef struct {
    real *host; /* (n) the gradient on the host */
    int pinned; /* host from be->extras->host_pin, else malloc */
} staging;

static int staged_open(comm_grads *g)
{
    const backend *be = g->be;
    staging *st = xcalloc(1, sizeof *st, "gradient staging buffer");
    st->host = be->extras->host_pin(be, g->n * sizeof(real));
    st->pinned = st->host != NULL;
    if (!st->pinned)
        st->host = xmalloc(g->n * sizeof(real), "gradient staging buffer");
    g->state = st;
    return 0;
}

/* The loss first (its download is the one wait), then the gradient. */
static void staged_sum(comm_grads *g, real *grads, double *loss)
{
    const backend *be = g->be;
    real *host = ((staging *)g->state)->host;
    double sum;
    be->download(be, &sum, loss, sizeof sum);
    comm_allreduce_double(&sum, 1);
    be->upload(be, loss, &sum, sizeof sum);
    be->download(be, host, grads, g->n * sizeof *host);
    comm_allreduce_float(host, g->n);
    be->upload(be, grads, host, g->n * sizeof *host);
}

static void staged_close(comm_grads *g)
{
    staging *st = g->state;
    if (st->pinned)
        g->be->extras->host_unpin(g->be, st->host);
    else
        free(st->host);
    free(st);
}

static const comm_grads_ops staged_ops = {
    .name = "staged", .open = staged_open, .sum = staged_sum, .close = staged_close};

/* ---- nccl: device buffers over NCCL, ordered on the stream ---- */

#ifdef CHARNN_WITH_NCCL
static int nccl_open(comm_grads *g)
{
    g->state = comm_nccl_open(g->comm, g->be->extras->stream(g->be), NCCL_TIMEOUT_S);
    return g->state ? 0 : -1;
}

static void nccl_sum(comm_grads *g, real *grads, double *loss)
{
    if (comm_nccl_sum(g->state, grads, g->n, loss, NCCL_TIMEOUT_S) != 0)
        error_fatal("rank %d: %s", g->comm->rank, error_message());
}

static void nccl_check(comm_grads *g)
{
    if (comm_nccl_check(g->state) != 0)
        error_fatal("rank %d: %s", g->comm->rank, error_message());
}

static void nccl_close(comm_grads *g) { comm_nccl_close(g->state); }

static const comm_grads_ops nccl_ops = {
    .name = "nccl", .open = nccl_open, .sum = nccl_sum, .check = nccl_check, .close = nccl_close};

int comm_grads_have_nccl(void) { return 1; }
#else
int comm_grads_have_nccl(void) { return 0; }
#endif

/* ---- the choice ---- */

/* The strategy for this run: one rank, host memory, NCCL as agreed, or staged. */
static const comm_grads_ops *choose(const comm_info *c, const backend *be,
                                    const device_plan *plan)
{
    if (c->size == 1)
        return &single_ops;
    if (!backend_on_device(be))
        return &host_ops; /* CHARNN_FAKE_GPUS plans too: they compute on the CPU */
#ifdef CHARNN_WITH_NCCL
    if (plan->nccl)
        return &nccl_ops;
#endif
    (void)plan;
    return &staged_ops;
}

int comm_grads_open(comm_grads *g, const comm_info *c, const backend *be,
                    const device_plan *plan, size_t n)
{
    assert(g && c && be && plan);
    memset(g, 0, sizeof *g);
    g->be = be;
    g->comm = c;
    g->n = n;
    g->ops = choose(c, be, plan);
    if (g->ops->open && g->ops->open(g) != 0) {
        g->ops = NULL;
        return -1;
    }
    return 0;
}

const char *comm_grads_name(const comm_grads *g) { return g->ops ? g->ops->name : "none"; }

void comm_grads_sum(comm_grads *g, real *grads, double *loss)
{
    assert(g->ops && grads && loss);
    g->ops->sum(g, grads, loss);
}

void comm_grads_check(comm_grads *g)
{
    assert(g->ops);
    if (g->ops->check)
        g->ops->check(g);
}

void comm_grads_close(comm_grads *g)
{
    if (g->ops && g->ops->close)
        g->ops->close(g);
    memset(g, 0, sizeof *g);
}
