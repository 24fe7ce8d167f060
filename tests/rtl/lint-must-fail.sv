// SPDX-License-Identifier: Apache-2.0
// lint-must-fail.sv - proves the rtl:lint test can fail: `verilator
// --lint-only -Wall` must reject this module (a 4-bit signal assigned to a
// 2-bit output without a cast: WIDTH; unused bits: UNUSEDSIGNAL).
module lint_must_fail (
    input  logic [3:0] a,
    input  logic       unused_in,
    output logic [1:0] y
);
  assign y = a;
endmodule
