;; sum of exp(x[i] - max) over a float32 row, in index order, each term bit-identical to JavaScript's Math.exp.
;; Built into exp-sum-wasm.ts by tools/build-exp-sum-wasm.mjs (wabt). Two terms per step (f64x2): the same
;; argument reduction and polynomial as V8's Math.exp (its fdlibm-derived ieee754::exp), every branch evaluated
;; and selected per lane; lanes outside (-708, 0] (other than -Infinity, whose term is 0) go to the imported
;; Math.exp. The terms are added to one float64 accumulator one after the other (lane 0, then lane 1), so the sum
;; rounds exactly as `for (…) s += Math.exp(x[i] - max)` does.
(module
  (import "js" "exp" (func $exp (param f64) (result f64)))
  (memory (export "memory") 4)

  ;; sum over x[from..to) (float32 at byte offset 0) of exp(x[i] - max), starting from `s`
  (func (export "expSum") (param $from i32) (param $to i32) (param $max f64) (param $s f64) (result f64)
    (local $i i32) (local $x v128) (local $e v128) (local $odd v128) (local $m v128) (local $vmax v128)
    (local $xi f64)
    (local $ax v128) (local $inA v128) (local $k v128) (local $hi v128) (local $lo v128) (local $r v128)
    (local $t v128) (local $c v128) (local $xc v128) (local $q v128) (local $rA v128) (local $rC v128) (local $pk v128)
    (local.set $vmax (f64x2.splat (local.get $max)))
    (local.set $i (local.get $from))
    (block $done
      (loop $pairs
        (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $to)))
        (local.set $x
          (f64x2.sub
            (f64x2.promote_low_f32x4 (v128.load64_zero (i32.shl (local.get $i) (i32.const 2))))
            (local.get $vmax)))
        (local.set $ax (f64x2.abs (local.get $x)))
        ;; |x| > 0.5 ln2 by fdlibm's high-word test (hx > 0x3FD62E42)
        (local.set $inA (f64x2.ge (local.get $ax) (v128.const i64x2 0x3FD62E4300000000 0x3FD62E4300000000)))
        ;; k = (int)(invln2 * x - 0.5) (x <= 0 here), or -1 when |x| < 1.5 ln2 (hx < 0x3FF0A2B2)
        (local.set $k
          (f64x2.trunc
            (f64x2.sub
              (f64x2.mul (local.get $x) (v128.const f64x2 1.44269504088896338700e+00 1.44269504088896338700e+00))
              (v128.const f64x2 0.5 0.5))))
        (local.set $k
          (v128.bitselect
            (v128.const f64x2 -1 -1)
            (local.get $k)
            (f64x2.lt (local.get $ax) (v128.const i64x2 0x3FF0A2B200000000 0x3FF0A2B200000000))))
        (local.set $hi
          (f64x2.sub (local.get $x)
            (f64x2.mul (local.get $k) (v128.const f64x2 6.93147180369123816490e-01 6.93147180369123816490e-01))))
        (local.set $lo (f64x2.mul (local.get $k) (v128.const f64x2 1.90821492927058770002e-10 1.90821492927058770002e-10)))
        ;; the reduced argument (A lanes) or x itself
        (local.set $r (v128.bitselect (f64x2.sub (local.get $hi) (local.get $lo)) (local.get $x) (local.get $inA)))
        (local.set $t (f64x2.mul (local.get $r) (local.get $r)))
        (local.set $c
          (f64x2.sub (local.get $r)
            (f64x2.mul (local.get $t)
              (f64x2.add (v128.const f64x2 1.66666666666666019037e-01 1.66666666666666019037e-01)
                (f64x2.mul (local.get $t)
                  (f64x2.add (v128.const f64x2 -2.77777777770155933842e-03 -2.77777777770155933842e-03)
                    (f64x2.mul (local.get $t)
                      (f64x2.add (v128.const f64x2 6.61375632143793436117e-05 6.61375632143793436117e-05)
                        (f64x2.mul (local.get $t)
                          (f64x2.add (v128.const f64x2 -1.65339022054652515390e-06 -1.65339022054652515390e-06)
                            (f64x2.mul (local.get $t)
                              (v128.const f64x2 4.13813679705723846039e-08 4.13813679705723846039e-08))))))))))))
        (local.set $xc (f64x2.mul (local.get $r) (local.get $c)))
        ;; one division per lane: (x*c)/(c-2) when k == 0, (x*c)/(2-c) otherwise
        (local.set $q
          (f64x2.div (local.get $xc)
            (v128.bitselect
              (f64x2.sub (v128.const f64x2 2 2) (local.get $c))
              (f64x2.sub (local.get $c) (v128.const f64x2 2 2))
              (local.get $inA))))
        ;; k == 0: 1 - ((x*c)/(c-2) - x)
        (local.set $rC (f64x2.sub (v128.const f64x2 1 1) (f64x2.sub (local.get $q) (local.get $r))))
        ;; otherwise (1 - ((lo - (x*c)/(2-c)) - hi)) * 2^k, 2^k built from its exponent bits
        (local.set $pk
          (i64x2.shl (f64x2.add (local.get $k) (v128.const f64x2 0x1.00000000003ffp+52 0x1.00000000003ffp+52)) (i32.const 52)))
        (local.set $rA
          (f64x2.mul
            (f64x2.sub (v128.const f64x2 1 1)
              (f64x2.sub (f64x2.sub (local.get $lo) (local.get $q)) (local.get $hi)))
            (local.get $pk)))
        ;; |x| < 2^-28 (hx < 0x3E300000): 1 + x
        (local.set $e
        (v128.bitselect
          (local.get $rA)
          (v128.bitselect
            (f64x2.add (v128.const f64x2 1 1) (local.get $x))
            (local.get $rC)
            (f64x2.lt (local.get $ax) (v128.const f64x2 0x1p-28 0x1p-28)))
          (local.get $inA)))
    
        ;; lanes handled here: -708 < x <= 0; -Infinity gives 0; anything else (NaN, > 0, <= -708) goes to Math.exp
        (local.set $odd
          (v128.not
            (v128.and
              (f64x2.gt (local.get $x) (v128.const f64x2 -708 -708))
              (f64x2.le (local.get $x) (v128.const f64x2 0 0)))))
        (local.set $m (f64x2.eq (local.get $x) (v128.const f64x2 -inf -inf)))
        (local.set $e (v128.andnot (local.get $e) (local.get $m)))
        (local.set $odd (v128.andnot (local.get $odd) (local.get $m)))
        (if (v128.any_true (local.get $odd))
          (then
            (if (i64.ne (i64x2.extract_lane 0 (local.get $odd)) (i64.const 0))
              (then (local.set $e (f64x2.replace_lane 0 (local.get $e)
                (call $exp (f64x2.extract_lane 0 (local.get $x)))))))
            (if (i64.ne (i64x2.extract_lane 1 (local.get $odd)) (i64.const 0))
              (then (local.set $e (f64x2.replace_lane 1 (local.get $e)
                (call $exp (f64x2.extract_lane 1 (local.get $x)))))))))
        (local.set $s (f64.add (local.get $s) (f64x2.extract_lane 0 (local.get $e))))
        (local.set $s (f64.add (local.get $s) (f64x2.extract_lane 1 (local.get $e))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs)))
    ;; an odd last entry
    (if (i32.lt_s (local.get $i) (local.get $to))
      (then
        (local.set $xi
          (f64.sub (f64.promote_f32 (f32.load (i32.shl (local.get $i) (i32.const 2)))) (local.get $max)))
        (local.set $s (f64.add (local.get $s) (call $exp (local.get $xi))))))
    (local.get $s))
)
