// SPDX-License-Identifier: Apache-2.0
//
// iotlb.sv - a set-associative IOTLB in synthesizable SystemVerilog, the RTL
// twin of the C cache in models/cache/cache.c (same keys, same set index,
// same victim choice), driven from C through the Verilated model
// (iotlb_rtl.cpp) for lockstep co-simulation and `replay --tlb-impl rtl`.
//
// Storage: SETS x WAYS entries (the capacity, fixed at elaboration); each
// holds a key {addr, tag} and a VAL_W-bit value.  The geometry in use is
// programmed by cfg_sets (1..SETS) and cfg_ways (1..WAYS) and the policy by
// cfg_policy, sampled during reset, so one Verilated model serves every TLB
// configuration within its capacity.  As in the C model:
//   - the set index is addr mod cfg_sets (a mask when cfg_sets is a power of
//     two; a divider otherwise -- fine for simulation);
//   - a hit needs addr and tag equal, in a valid way below cfg_ways;
//   - a fill takes the lowest invalid way, else the policy's victim;
//   - a hit and a fill (new or present key) touch the replacement state;
//     a peek, an invalidation or a flush does not.
// Policies (cfg_policy):
//   0 LRU: per set, an age per way forming a permutation of 0..cfg_ways-1
//     (0 = most recent).  A touch of way w ages every way younger than w
//     by one and makes w age 0; the victim is the way of age cfg_ways-1.
//     The order of ages is the order of last touches, which is exactly the
//     order of the C model's stamps, so both choose the same victim.
//   1 tree-PLRU (cfg_ways a power of two): ways-1 direction bits per set
//     in heap order (node 1 the root, children 2n and 2n+1; bit n of
//     plru_q).  0 points to the lower half, 1 to the upper.  A touch sets
//     the bits on the way's path to point away from it; the victim follows
//     them from the root.  Bits are not reset by a flush (nor in C).
//
// Interface: one request per cycle with a valid/ready handshake; the
// response is registered (resp_valid one cycle after the request is
// accepted) except for OP_INV_RANGE, which walks one set per cycle (ready
// is low meanwhile) and answers after the last set.
//   OP_LOOKUP    key -> hit, way, value; touches on a hit
//   OP_PEEK      key -> hit, way, value; no touch
//   OP_FILL      key, value -> way; present key: hit = 1, value rewritten;
//                else evicted = 1 and victim key when a valid entry is replaced
//   OP_INV_KEY   key -> count (0 or 1), way
//   OP_INV_RANGE drop (tag & mask) == (req_tag & mask), lo <= addr <= hi
//                (lo = req_addr, hi = req_hi) -> count
//   OP_INV_WAYS  drop the valid ways of req_ways in set req_set -> count
//   OP_FLUSH     drop everything -> count
//   OP_READ_SET  set req_set -> rd_* (valid, keys, values, ages, PLRU bits)
// valid_count is the number of valid entries at any time.
//
// Not modelled: timing of a real SRAM (the arrays are flops here), ECC,
// multi-ported lookup; the C model's FIFO, random and flush-all policies.

module iotlb #(
    parameter int SETS   = 4096,  // capacity: sets
    parameter int WAYS   = 16,    // capacity: ways per set
    parameter int ADDR_W = 64,
    parameter int TAG_W  = 64,
    parameter int VAL_W  = 64,
    localparam int SET_W = SETS > 1 ? $clog2(SETS) : 1,
    localparam int WAY_W = WAYS > 1 ? $clog2(WAYS) : 1
) (
    input  logic                            clk,
    input  logic                            rst_n,
    // configuration, sampled while rst_n is low
    input  logic [SET_W:0]                  cfg_sets,
    input  logic [WAY_W:0]                  cfg_ways,
    input  logic                            cfg_policy,  // 0 LRU, 1 tree-PLRU
    // request
    input  logic                            req_valid,
    output logic                            req_ready,
    input  logic [2:0]                      req_op,
    input  logic [ADDR_W-1:0]               req_addr,    // key addr; OP_INV_RANGE: lo
    input  logic [TAG_W-1:0]                req_tag,
    input  logic [VAL_W-1:0]                req_value,
    input  logic [TAG_W-1:0]                req_mask,    // OP_INV_RANGE tag mask
    input  logic [ADDR_W-1:0]               req_hi,      // OP_INV_RANGE hi (inclusive)
    input  logic [SET_W-1:0]                req_set,     // OP_INV_WAYS, OP_READ_SET
    input  logic [WAYS-1:0]                 req_ways,    // OP_INV_WAYS
    // response
    output logic                            resp_valid,
    output logic                            resp_hit,
    output logic [WAY_W-1:0]                resp_way,
    output logic [VAL_W-1:0]                resp_value,
    output logic                            resp_evicted,
    output logic [ADDR_W-1:0]               resp_victim_addr,
    output logic [TAG_W-1:0]                resp_victim_tag,
    output logic [31:0]                     resp_count,
    // OP_READ_SET result
    output logic [WAYS-1:0]                 rd_valid,
    output logic [WAYS-1:0][ADDR_W-1:0]     rd_addr,
    output logic [WAYS-1:0][TAG_W-1:0]      rd_tag,
    output logic [WAYS-1:0][VAL_W-1:0]      rd_value,
    output logic [WAYS-1:0][WAY_W-1:0]      rd_age,
    output logic [WAYS-1:0]                 rd_plru,
    // status
    output logic [31:0]                     valid_count
);

  localparam logic [2:0] OP_LOOKUP = 3'd0;
  localparam logic [2:0] OP_PEEK = 3'd1;
  localparam logic [2:0] OP_FILL = 3'd2;
  localparam logic [2:0] OP_INV_KEY = 3'd3;
  localparam logic [2:0] OP_INV_RANGE = 3'd4;
  localparam logic [2:0] OP_INV_WAYS = 3'd5;
  localparam logic [2:0] OP_FLUSH = 3'd6;
  localparam logic [2:0] OP_READ_SET = 3'd7;

  // ---- state ----
  logic [WAYS-1:0]            valid_q [SETS];
  logic [ADDR_W-1:0]          addr_q  [SETS][WAYS];
  logic [TAG_W-1:0]           tag_q   [SETS][WAYS];
  logic [VAL_W-1:0]           val_q   [SETS][WAYS];
  logic [WAYS-1:0][WAY_W-1:0] age_q   [SETS];
  logic [WAYS-1:0]            plru_q  [SETS];  // bit n: tree node n (1..ways-1)
  logic [31:0]                count_q;
  // configuration, sampled in reset
  logic [SET_W:0]             sets_q;
  logic [WAY_W:0]             ways_q;
  logic                       pol_plru_q;
  logic [WAYS-1:0]            active_q;        // ways below ways_q
  // Set walker: reset initialisation, OP_FLUSH, OP_INV_RANGE.
  localparam logic [1:0] WALK_INIT = 2'd0;
  localparam logic [1:0] WALK_FLUSH = 2'd1;
  localparam logic [1:0] WALK_RANGE = 2'd2;
  logic                       busy_q;
  logic [1:0]                 walk_q;
  logic [SET_W-1:0]           scan_q;
  logic [31:0]                scan_cnt_q;
  logic [TAG_W-1:0]           rng_tag_q, rng_mask_q;
  logic [ADDR_W-1:0]          rng_lo_q, rng_hi_q;

  assign req_ready = !busy_q;
  assign valid_count = count_q;

  // ---- combinational helpers, used by the clocked process below ----
  // (All the logic sits in that process, so the model evaluates it once per
  // clock edge, not on every change of an input.)

  function automatic logic [WAYS-1:0] active_of(input logic [WAY_W:0] ways);
    for (int w = 0; w < WAYS; w++) active_of[w] = 32'(w) < 32'(ways);
  endfunction

  function automatic logic [SET_W-1:0] set_of(input logic [ADDR_W-1:0] addr);
    return SET_W'(addr % ADDR_W'(sets_q));
  endfunction

  // {hit, way} of key {addr, tag} in set s.
  function automatic logic [WAY_W:0] find(input logic [SET_W-1:0] s,
                                           input logic [ADDR_W-1:0] addr,
                                           input logic [TAG_W-1:0] tag);
    find = '0;
    for (int w = WAYS - 1; w >= 0; w--)
      if (active_q[w] && valid_q[s][w] && addr_q[s][w] == addr && tag_q[s][w] == tag)
        find = {1'b1, WAY_W'(w)};
  endfunction

  // {found, way}: the lowest invalid way of set s.
  function automatic logic [WAY_W:0] first_free(input logic [SET_W-1:0] s);
    first_free = '0;
    for (int w = WAYS - 1; w >= 0; w--)
      if (active_q[w] && !valid_q[s][w]) first_free = {1'b1, WAY_W'(w)};
  endfunction

  // Victim of a full set: LRU, the way of the oldest age; tree-PLRU, follow
  // the direction bits from the root (level l, span 2^l, exists while
  // 2^l < ways).
  function automatic logic [WAY_W-1:0] victim(input logic [SET_W-1:0] s);
    logic [WAY_W-1:0] node;
    victim = '0;
    if (pol_plru_q) begin
      node = WAY_W'(1);
      for (int l = WAY_W - 1; l >= 0; l--)
        if ((32'd1 << l) < 32'(ways_q)) begin
          victim[l] = plru_q[s][node];
          node = WAY_W'({node, plru_q[s][node]});
        end
    end else begin
      for (int w = 0; w < WAYS; w++)
        if (active_q[w] && 32'(age_q[s][w]) == 32'(ways_q) - 1) victim = WAY_W'(w);
    end
  endfunction

  // LRU ages of set s after a touch of way t: younger ways age by one.
  function automatic logic [WAYS-1:0][WAY_W-1:0] lru_touch(input logic [SET_W-1:0] s,
                                                           input logic [WAY_W-1:0] t);
    for (int w = 0; w < WAYS; w++) begin
      if (WAY_W'(w) == t) lru_touch[w] = '0;
      else if (active_q[w] && age_q[s][w] < age_q[s][t]) lru_touch[w] = age_q[s][w] + 1'b1;
      else lru_touch[w] = age_q[s][w];
    end
  endfunction

  // PLRU bits of set s after a touch of way t: the path points away from t.
  function automatic logic [WAYS-1:0] plru_touch(input logic [SET_W-1:0] s,
                                                 input logic [WAY_W-1:0] t);
    logic [WAY_W-1:0] node;
    plru_touch = plru_q[s];
    node = WAY_W'(1);
    for (int l = WAY_W - 1; l >= 0; l--)
      if ((32'd1 << l) < 32'(ways_q)) begin
        plru_touch[node] = !t[l];
        node = WAY_W'({node, t[l]});
      end
  endfunction

  function automatic logic [31:0] ones(input logic [WAYS-1:0] v);
    ones = '0;
    for (int w = 0; w < WAYS; w++) ones = ones + 32'(v[w]);
  endfunction

  // Ways of set s the walker drops (OP_FLUSH: every valid way; OP_INV_RANGE:
  // the matching ones).
  function automatic logic [WAYS-1:0] walk_drop(input logic [SET_W-1:0] s);
    for (int w = 0; w < WAYS; w++)
      walk_drop[w] = valid_q[s][w] &&
                     (walk_q == WALK_FLUSH ||
                      (active_q[w] && (tag_q[s][w] & rng_mask_q) == (rng_tag_q & rng_mask_q) &&
                       addr_q[s][w] >= rng_lo_q && addr_q[s][w] <= rng_hi_q));
  endfunction

  function automatic logic [WAYS-1:0][WAY_W-1:0] age_init();
    for (int w = 0; w < WAYS; w++) age_init[w] = WAY_W'(w);
  endfunction

  // ---- sequential ----
  always_ff @(posedge clk) begin
    logic [SET_W-1:0] s;
    logic [WAY_W:0]   f, fr;
    logic [WAY_W-1:0] w;
    logic [WAYS-1:0]  drop;
    if (!rst_n) begin
      // Sample the configuration, then initialise every set with the walker
      // (no valid way, ages 0..ways-1, PLRU bits 0) before accepting requests.
      sets_q <= cfg_sets;
      ways_q <= cfg_ways;
      pol_plru_q <= cfg_policy;
      active_q <= active_of(cfg_ways);
      busy_q <= 1'b1;
      walk_q <= WALK_INIT;
      scan_q <= '0;
      scan_cnt_q <= '0;
      count_q <= '0;
      resp_valid <= 1'b0;
    end else if (busy_q) begin
      // One set per cycle.
      drop = '0;
      if (walk_q == WALK_INIT) begin
        valid_q[scan_q] <= '0;
        age_q[scan_q] <= age_init();
        plru_q[scan_q] <= '0;
      end else begin
        drop = walk_drop(scan_q);
        valid_q[scan_q] <= valid_q[scan_q] & ~drop;
        count_q <= count_q - ones(drop);
      end
      if (32'(scan_q) == 32'(sets_q) - 1) begin
        busy_q <= 1'b0;
        resp_valid <= walk_q != WALK_INIT;
        resp_count <= scan_cnt_q + ones(drop);
      end else begin
        scan_q <= scan_q + 1'b1;
        scan_cnt_q <= scan_cnt_q + ones(drop);
      end
    end else begin
      resp_valid <= req_valid && req_op != OP_INV_RANGE && req_op != OP_FLUSH;
      if (req_valid) begin
        resp_hit <= 1'b0;
        resp_evicted <= 1'b0;
        resp_count <= '0;
        case (req_op)
          OP_LOOKUP, OP_PEEK: begin
            s = set_of(req_addr);
            f = find(s, req_addr, req_tag);
            resp_hit <= f[WAY_W];
            resp_way <= f[WAY_W-1:0];
            resp_value <= val_q[s][f[WAY_W-1:0]];
            if (f[WAY_W] && req_op == OP_LOOKUP) begin
              if (pol_plru_q) plru_q[s] <= plru_touch(s, f[WAY_W-1:0]);
              else age_q[s] <= lru_touch(s, f[WAY_W-1:0]);
            end
          end
          OP_FILL: begin
            // Present: touch and rewrite the value. Else the lowest free way,
            // or the victim; either way the filled way is touched.
            s = set_of(req_addr);
            f = find(s, req_addr, req_tag);
            fr = first_free(s);
            w = f[WAY_W] ? f[WAY_W-1:0] : fr[WAY_W] ? fr[WAY_W-1:0] : victim(s);
            resp_hit <= f[WAY_W];
            resp_way <= w;
            val_q[s][w] <= req_value;
            if (pol_plru_q) plru_q[s] <= plru_touch(s, w);
            else age_q[s] <= lru_touch(s, w);
            if (!f[WAY_W]) begin
              addr_q[s][w] <= req_addr;
              tag_q[s][w] <= req_tag;
              valid_q[s][w] <= 1'b1;
              resp_evicted <= !fr[WAY_W];
              resp_victim_addr <= addr_q[s][w];
              resp_victim_tag <= tag_q[s][w];
              if (fr[WAY_W]) count_q <= count_q + 1'b1;
            end
          end
          OP_INV_KEY: begin
            s = set_of(req_addr);
            f = find(s, req_addr, req_tag);
            resp_way <= f[WAY_W-1:0];
            if (f[WAY_W]) begin
              valid_q[s][f[WAY_W-1:0]] <= 1'b0;
              count_q <= count_q - 1'b1;
              resp_count <= 32'd1;
            end
          end
          OP_INV_RANGE, OP_FLUSH: begin
            busy_q <= 1'b1;
            walk_q <= req_op == OP_FLUSH ? WALK_FLUSH : WALK_RANGE;
            scan_q <= '0;
            scan_cnt_q <= '0;
            rng_tag_q <= req_tag;
            rng_mask_q <= req_mask;
            rng_lo_q <= req_addr;
            rng_hi_q <= req_hi;
          end
          OP_INV_WAYS: begin
            drop = valid_q[req_set] & req_ways & active_q;
            valid_q[req_set] <= valid_q[req_set] & ~drop;
            count_q <= count_q - ones(drop);
            resp_count <= ones(drop);
          end
          OP_READ_SET: begin
            rd_valid <= valid_q[req_set] & active_q;
            rd_age <= age_q[req_set];
            rd_plru <= plru_q[req_set];
            for (int x = 0; x < WAYS; x++) begin
              rd_addr[x] <= addr_q[req_set][x];
              rd_tag[x] <= tag_q[req_set][x];
              rd_value[x] <= val_q[req_set][x];
            end
          end
          default: ;
        endcase
      end
    end
  end

endmodule
