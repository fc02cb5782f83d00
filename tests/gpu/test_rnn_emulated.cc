/* test_rnn_emulated.cc — the persistent recurrence kernels' own source
 * (kernels/rnn_persistent.cuh) run on the host by cuda_emulator.h (a POSIX
 * thread per GPU thread, real barriers for __syncthreads and grid.sync),
 * against the CPU backend's rnn_fwd / rnn_bwd: in FP32 (1e-5) and TF32
 * (1e-3, wmma emulated with TF32 rounding), for LSTM, GRU and RNN, the
 * forward's hs, cs and act and the backward's dxg and dhg (the kernels'
 * outputs; the weight and bias gradients after them are the stepwise
 * path's), on shapes that reach what a GPU run would: units that do not
 * divide H (a short last block), several row passes of the block GEMM,
 * thread counts not a multiple of the block's columns, K chunks with a
 * zero-padded tail, TF32 tiles padded in rows and columns. Outputs start as NaN, so an element no thread wrote
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

/* kernel<<<...>>>(a) as k_rnn_plan and launch would shape it for `nu`
 * units per block */
static void launch(int tf32, int backward, rnn_args a, const shape &s)
{
    int nc = backward ? s.nu : gates_of(a.cell) * s.nu;
    a.nu = s.nu;
    a.rp = gemm_rows_per_pass(tf32, nc, s.b);
    size_t smem = sizeof(float) * gemm_smem_floats(rnn_layout(tf32, backward, a.cell, s.nu, s.h, a.rp));
    unsigned blocks = (unsigned)((s.h + s.nu - 1) / s.nu);
    void (*k)(rnn_args) = backward ? (tf32 ? rnn_bwd_persistent<1> : rnn_bwd_persistent<0>)
                                   : (tf32 ? rnn_fwd_persistent<1> : rnn_fwd_persistent<0>);
    emu_launch(k, blocks, P_THREADS, smem, a);
}

static void window_case(int tf32, int cell, const shape &s)
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
    launch(tf32, 0, a, s);
    char what[128];
    auto name = [&](const char *part) {
        std::snprintf(what, sizeof what, "emulated %s %s m=%d b=%d h=%d nu=%d: %s",
                      tf32 ? "TF32" : "FP32", cell_name(ck), s.m, s.b, H, s.nu, part);
        return what;
    };
    double tol = tf32 ? 1e-3 : 1e-5; /* TF32: 10-bit mantissas in (seen: ~4e-5) */
    expect(name("forward hs"), ehs, hs, tol);
    expect(name("forward act"), eact, act, tol);
    if (lstm)
        expect(name("forward cs"), ecs, cs, tol);
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
    launch(tf32, 1, g, s);
    expect(name("dxg"), edxg, dxg, tol);
    if (gru)
        expect(name("dhg"), edhg, dhg, tol);
}

int main()
{
    /* {steps, rows, hidden, units per block} */
    const shape shapes[] = {
        {6, 13, 37, 5},  /* 8 blocks, the last with 2 units; 1 row pass */
        {4, 100, 12, 5}, /* LSTM 20 columns: 12 lanes x 8 = 96 rows a pass, so 2 passes */
        {5, 3, 70, 16},  /* K = 70 (forward) and up to 280 (backward): zero-padded chunks */
        {3, 7, 5, 1},    /* one unit per block */
        {3, 40, 70, 64}, /* 256 LSTM columns: FP32 5 row passes, TF32 2 (32 + 8 rows) */
    };
    for (int tf32 = 0; tf32 < 2; tf32++)
        for (int cell = 0; cell < 3; cell++)
            for (const shape &s : shapes)
                window_case(tf32, cell, s);
    std::printf("emulated persistent kernels: %d of %d checks failed\n", failures, checks);
    return failures ? 1 : 0;
}
