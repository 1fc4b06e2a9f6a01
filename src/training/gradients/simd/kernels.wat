;; Two training kernels the TF.js wasm backend lacks or gets wrong, written with 128-bit SIMD
;; (4 float32 channels at a time; a channel count that is not a multiple of 4 finishes with
;; scalar code). Tensors are NHWC float32; every pointer is a byte offset into this module's
;; memory. `npm run build:kernels` compiles this file into kernels-binary.ts (committed).
(module
  (memory (export "memory") 1)

  ;; d loss / d filter of a depthwise convolution with channel multiplier 1 (the caller repeats
  ;; the input's channels for a larger one):
  ;;   out[(i*kw + j)*c + k] += sum over b, y, xo of
  ;;     x[b, y*sy + i - top, xo*sx + j - left, k] * dy[b, y, xo, k]
  ;; over the cells that fall inside x (padding cells are zero). out must be zeroed.
  (func (export "depthwiseFilterGradient")
    (param $x i32) (param $dy i32) (param $out i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32)
    (param $sy i32) (param $sx i32) (param $top i32) (param $left i32)
    (local $b i32) (local $y i32) (local $xo i32) (local $i i32) (local $j i32)
    (local $iy i32) (local $ix i32) (local $pd i32) (local $px i32) (local $pa i32)
    (local $kb i32) (local $cb i32) (local $c4b i32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $c4b (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (local.set $pd (local.get $dy))
    (local.set $b (i32.const 0))
    (block $bDone (loop $bNext
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $y (i32.const 0))
      (block $yDone (loop $yNext
        (br_if $yDone (i32.ge_u (local.get $y) (local.get $oh)))
        (local.set $xo (i32.const 0))
        (block $xDone (loop $xNext
          (br_if $xDone (i32.ge_u (local.get $xo) (local.get $ow)))
          (local.set $i (i32.const 0))
          (block $iDone (loop $iNext
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $iy (i32.sub (i32.add (i32.mul (local.get $y) (local.get $sy)) (local.get $i)) (local.get $top)))
            ;; Unsigned: a row above the input (negative) is out of range too.
            (if (i32.lt_u (local.get $iy) (local.get $h)) (then
              (local.set $j (i32.const 0))
              (block $jDone (loop $jNext
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $kw)))
                (local.set $ix (i32.sub (i32.add (i32.mul (local.get $xo) (local.get $sx)) (local.get $j)) (local.get $left)))
                (if (i32.lt_u (local.get $ix) (local.get $w)) (then
                  (local.set $px (i32.add (local.get $x)
                    (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $cb))))
                  (local.set $pa (i32.add (local.get $out)
                    (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cb))))
                  (local.set $kb (i32.const 0))
                  (block $vDone (loop $vNext
                    (br_if $vDone (i32.ge_u (local.get $kb) (local.get $c4b)))
                    (v128.store (i32.add (local.get $pa) (local.get $kb))
                      (f32x4.add (v128.load (i32.add (local.get $pa) (local.get $kb)))
                        (f32x4.mul (v128.load (i32.add (local.get $px) (local.get $kb)))
                                   (v128.load (i32.add (local.get $pd) (local.get $kb))))))
                    (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
                    (br $vNext)))
                  (block $sDone (loop $sNext
                    (br_if $sDone (i32.ge_u (local.get $kb) (local.get $cb)))
                    (f32.store (i32.add (local.get $pa) (local.get $kb))
                      (f32.add (f32.load (i32.add (local.get $pa) (local.get $kb)))
                        (f32.mul (f32.load (i32.add (local.get $px) (local.get $kb)))
                                 (f32.load (i32.add (local.get $pd) (local.get $kb))))))
                    (local.set $kb (i32.add (local.get $kb) (i32.const 4)))
                    (br $sNext)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jNext)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $iNext)))
          (local.set $pd (i32.add (local.get $pd) (local.get $cb)))
          (local.set $xo (i32.add (local.get $xo) (i32.const 1)))
          (br $xNext)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yNext)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bNext))))

  ;; d loss / d x of a max-pool: each output cell's gradient goes to the FIRST maximum of its
  ;; window in row-major order, padding cells never chosen (TF.js's cpu backend's rule). A NaN
  ;; never replaces the maximum (a comparison with it is false). dx must be zeroed.
  (func (export "maxPoolInputGradient")
    (param $x i32) (param $dy i32) (param $dx i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $ph i32) (param $pw i32)
    (param $sy i32) (param $sx i32) (param $top i32) (param $left i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $y0 i32) (local $y1 i32)
    (local $x0 i32) (local $x1 i32) (local $iy i32) (local $ix i32) (local $kb i32)
    (local $pd i32) (local $cell i32) (local $cb i32) (local $c4b i32)
    (local $best v128) (local $bestAt v128) (local $v v128) (local $more v128)
    (local $sBest f32) (local $sAt i32) (local $sv f32) (local $at i32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $c4b (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (local.set $pd (local.get $dy))
    (local.set $b (i32.const 0))
    (block $bDone (loop $bNext
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $yDone (loop $yNext
        (br_if $yDone (i32.ge_u (local.get $oy) (local.get $oh)))
        ;; The window's rows inside the input: [y0, y1).
        (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $sy)) (local.get $top)))
        (local.set $y1 (i32.add (local.get $y0) (local.get $ph)))
        (if (i32.lt_s (local.get $y0) (i32.const 0)) (then (local.set $y0 (i32.const 0))))
        (if (i32.gt_s (local.get $y1) (local.get $h)) (then (local.set $y1 (local.get $h))))
        (local.set $ox (i32.const 0))
        (block $xDone (loop $xNext
          (br_if $xDone (i32.ge_u (local.get $ox) (local.get $ow)))
          (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $sx)) (local.get $left)))
          (local.set $x1 (i32.add (local.get $x0) (local.get $pw)))
          (if (i32.lt_s (local.get $x0) (i32.const 0)) (then (local.set $x0 (i32.const 0))))
          (if (i32.gt_s (local.get $x1) (local.get $w)) (then (local.set $x1 (local.get $w))))
          ;; Four channels at a time: the best value and its byte offset, lane by lane.
          (local.set $kb (i32.const 0))
          (block $vDone (loop $vNext
            (br_if $vDone (i32.ge_u (local.get $kb) (local.get $c4b)))
            (local.set $cell (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $y0)) (local.get $w)) (local.get $x0)) (local.get $cb)) (local.get $kb)))
            (local.set $best (v128.load (i32.add (local.get $x) (local.get $cell))))
            (local.set $bestAt (i32x4.add (i32x4.splat (local.get $cell)) (v128.const i32x4 0 4 8 12)))
            (local.set $iy (local.get $y0))
            (block $wyDone (loop $wyNext
              (br_if $wyDone (i32.ge_s (local.get $iy) (local.get $y1)))
              (local.set $ix (local.get $x0))
              (block $wxDone (loop $wxNext
                (br_if $wxDone (i32.ge_s (local.get $ix) (local.get $x1)))
                (local.set $cell (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $cb)) (local.get $kb)))
                (local.set $v (v128.load (i32.add (local.get $x) (local.get $cell))))
                ;; Strictly greater: a tie keeps the earlier cell (the first cell compares with itself).
                (local.set $more (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $more)))
                (local.set $bestAt (v128.bitselect
                  (i32x4.add (i32x4.splat (local.get $cell)) (v128.const i32x4 0 4 8 12))
                  (local.get $bestAt) (local.get $more)))
                (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                (br $wxNext)))
              (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
              (br $wyNext)))
            (local.set $at (i32.add (local.get $dx) (i32x4.extract_lane 0 (local.get $bestAt))))
            (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.load (i32.add (local.get $pd) (local.get $kb)))))
            (local.set $at (i32.add (local.get $dx) (i32x4.extract_lane 1 (local.get $bestAt))))
            (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.load (i32.add (local.get $pd) (i32.add (local.get $kb) (i32.const 4))))))
            (local.set $at (i32.add (local.get $dx) (i32x4.extract_lane 2 (local.get $bestAt))))
            (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.load (i32.add (local.get $pd) (i32.add (local.get $kb) (i32.const 8))))))
            (local.set $at (i32.add (local.get $dx) (i32x4.extract_lane 3 (local.get $bestAt))))
            (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.load (i32.add (local.get $pd) (i32.add (local.get $kb) (i32.const 12))))))
            (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
            (br $vNext)))
          ;; The remaining channels one at a time.
          (block $sDone (loop $sNext
            (br_if $sDone (i32.ge_u (local.get $kb) (local.get $cb)))
            (local.set $sAt (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $y0)) (local.get $w)) (local.get $x0)) (local.get $cb)) (local.get $kb)))
            (local.set $sBest (f32.load (i32.add (local.get $x) (local.get $sAt))))
            (local.set $iy (local.get $y0))
            (block $syDone (loop $syNext
              (br_if $syDone (i32.ge_s (local.get $iy) (local.get $y1)))
              (local.set $ix (local.get $x0))
              (block $sxDone (loop $sxNext
                (br_if $sxDone (i32.ge_s (local.get $ix) (local.get $x1)))
                (local.set $cell (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $cb)) (local.get $kb)))
                (local.set $sv (f32.load (i32.add (local.get $x) (local.get $cell))))
                (if (f32.gt (local.get $sv) (local.get $sBest)) (then
                  (local.set $sBest (local.get $sv))
                  (local.set $sAt (local.get $cell))))
                (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                (br $sxNext)))
              (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
              (br $syNext)))
            (local.set $at (i32.add (local.get $dx) (local.get $sAt)))
            (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.load (i32.add (local.get $pd) (local.get $kb)))))
            (local.set $kb (i32.add (local.get $kb) (i32.const 4)))
            (br $sNext)))
          (local.set $pd (i32.add (local.get $pd) (local.get $cb)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $xNext)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $yNext)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bNext))))
)
