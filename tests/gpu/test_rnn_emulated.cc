/* test_rnn_emulated.cc — the persistent recurrence kernels' own source
 * (kernels/rnn_persistent.cuh) run on the host by cuda_emulator.h (a POSIX
 * thread per GPU thread, real barriers for __syncthreads and grid.sync),
 * against the CPU backend's rnn_fwd / rnn_bwd: for LSTM, GRU and RNN, the
 * forward's hs, cs and act and the backward's dxg and dhg (the kernels'
 * outputs; the weight and bias gradients after them are the stepwise
 * path's), on shapes that reach what a GPU run would: units that do not
 * divide H (a short last block), several row passes of the block GEMM,
 * thread counts not a multiple of the block's columns, K chunks with a
 * zero-padded tail. Outputs start as NaN, so an element no thread wrote
 * fails. Needs no GPU: it proves the kernels' indexing, barriers and cell
 * plumbing, not the GPU's memory model, arithmetic or speed
 * (tests/gpu/test_rnn_persistent.c does those on a GPU). */
#include "cuda_emulator.h"

#include "rnn_persistent.cuh"

extern "C" {
#include "backend.h"
#include "rng.h"
}

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

static int failures, checks;

static void expect(const char *what, const std::vector<float> &got, const std::vector<float> &want,
                   double tol)
{
    double d2 = 0, w2 = 0;
    for (size_t i = 0; i < want.size(); i++) {
        double d = (double)got[i] - want[i];
        d2 += d * d;
        w2 += (double)want[i] * want[i];
    }
    double e = w2 > 0 ? std::sqrt(d2 / w2) : std::sqrt(d2);
    checks++;
    if (!(e <= tol)) {
        failures++;
        std::printf("FAIL %s: relative norm error %.3g\n", what, e);
    }
}

static std::vector<float> random_vec(size_t n, double lo, double hi, uint32_t draw)
{
    std::vector<float> x(n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * rng_uniform(17, 3, draw, 0, (uint32_t)i));
    return x;
}

struct shape {
    int m, b, h, nu;
};

/* the launch shape k_rnn_plan would give for `nu` units per block */
static void plan_args(rnn_args &a, int nc, const shape &s)
{
    int lanes = P_THREADS / nc;
    a.nu = s.nu;
    a.rp = s.b < lanes * P_RPT ? s.b : lanes * P_RPT;
}

static void window_case(int cell, const shape &s)
{
    cell_kind ck = (cell_kind)cell;
    const backend *cpu = backend_cpu();
    int G = (int)cell_gates(ck), A = (int)cell_act_width(ck), H = s.h, gh = G * H;
    size_t bh = (size_t)s.b * H, nhs = (s.m + 1) * bh, nx = (size_t)s.m * s.b * gh;
    size_t na = (size_t)s.m * s.b * A * H;
    bool lstm = cell == K_CELL_LSTM, gru = cell == K_CELL_GRU;
    double wb = 1.0 / std::sqrt((double)H);
    uint32_t d = (uint32_t)(cell * 100 + s.h);
    std::vector<float> w = random_vec((size_t)gh * H, -wb, wb, d), bias = random_vec(gh, -wb, wb, d + 1);
    std::vector<float> xg = random_vec(nx, -1.5, 1.5, d + 2), hs0 = random_vec(nhs, -1, 1, d + 3);
    std::vector<float> cs0 = random_vec(nhs, -2, 2, d + 4), dy = random_vec((size_t)s.m * bh, -1, 1, d + 5);
    float nan = std::numeric_limits<float>::quiet_NaN();
    /* CPU reference */
    std::vector<float> hs = hs0, cs = cs0, act(na), work(cpu->rnn_work(cpu, ck, s.b, H));
    rnn_seq c = {ck, (size_t)s.m, (size_t)s.b, (size_t)H, w.data(), bias.data(), xg.data(),
                 hs.data(), lstm ? cs.data() : nullptr, act.data(), work.data()};
    cpu->rnn_fwd(cpu, &c);
    std::vector<float> dxg(nx), dhg(nx), dw((size_t)gh * H), db(gh), dbi(gh);
    rnn_seq_grad gc = {dy.data(), dxg.data(), gru ? dhg.data() : dxg.data(), dw.data(), db.data(), dbi.data()};
    cpu->rnn_bwd(cpu, &c, &gc);
    /* the emulated forward: slots 1..M of hs / cs and all of act start NaN */
    std::vector<float> ehs = hs0, ecs = cs0, eact(na, nan);
    std::fill(ehs.begin() + bh, ehs.end(), nan);
    std::fill(ecs.begin() + bh, ecs.end(), nan);
    rnn_args a = {};
    a.cell = cell;
    a.m = s.m;
    a.b = s.b;
    a.h = H;
    a.w_hh = w.data();
    a.b_hh = bias.data();
    a.xg = xg.data();
    a.hs = ehs.data();
    a.cs = lstm ? ecs.data() : nullptr;
    a.act = eact.data();
    plan_args(a, G * s.nu, s);
    unsigned blocks = (unsigned)((H + s.nu - 1) / s.nu);
    emu_launch(rnn_fwd_persistent, blocks, P_THREADS, smem_bytes(G * s.nu, H, a.rp), a);
    char what[128];
    auto name = [&](const char *part) {
        std::snprintf(what, sizeof what, "emulated %s m=%d b=%d h=%d nu=%d: %s", cell_name(ck), s.m,
                      s.b, H, s.nu, part);
        return what;
    };
    expect(name("forward hs"), ehs, hs, 1e-5);
    expect(name("forward act"), eact, act, 1e-5);
    if (lstm)
        expect(name("forward cs"), ecs, cs, 1e-5);
    /* the emulated backward from the CPU's forward state */
    std::vector<float> edxg(nx, nan), edhg(nx, nan), scratch(2 * bh, nan);
    rnn_args g = {};
    g.cell = cell;
    g.m = s.m;
    g.b = s.b;
    g.h = H;
    g.w_hh = w.data();
    g.act = act.data();
    g.hs = hs.data();
    g.cs = lstm ? cs.data() : nullptr;
    g.dy = dy.data();
    g.dh_rec = scratch.data();
    g.dc = lstm ? scratch.data() + bh : nullptr;
    g.dxg = edxg.data();
    g.dhg = gru ? edhg.data() : edxg.data();
    plan_args(g, s.nu, s);
    emu_launch(rnn_bwd_persistent, blocks, P_THREADS, smem_bytes(s.nu, gh, g.rp), g);
    expect(name("dxg"), edxg, dxg, 1e-5);
    if (gru)
        expect(name("dhg"), edhg, dhg, 1e-5);
}

int main()
{
    /* {steps, rows, hidden, units per block} */
    const shape shapes[] = {
        {6, 13, 37, 5},  /* 8 blocks, the last with 2 units; 1 row pass */
        {4, 100, 12, 5}, /* LSTM 20 columns: 12 lanes x 8 = 96 rows a pass, so 2 passes */
        {5, 3, 70, 16},  /* K = 70 (forward) and up to 280 (backward): zero-padded chunks */
        {3, 7, 5, 1},    /* one unit per block */
    };
    for (int cell = 0; cell < 3; cell++)
        for (const shape &s : shapes)
            window_case(cell, s);
    std::printf("emulated persistent kernels: %d of %d checks failed\n", failures, checks);
    return failures ? 1 : 0;
}
