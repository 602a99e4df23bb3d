//! cranelift-jit 0.135: the same functions built from IR at run time.

use cranelift_codegen::Context;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{AbiParam, InstBuilder, MemFlagsData, Value, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Module, default_libcall_names};

/// A JIT module with its reusable contexts.
pub struct Clif {
    module: JITModule,
    ctx: Context,
    fctx: FunctionBuilderContext,
}

impl Clif {
    /// Host ISA (with its AVX2/FMA flags), `opt_level = speed`.
    pub fn new() -> Clif {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").unwrap();
        flags.set("is_pic", "false").unwrap();
        let isa = cranelift_native::builder()
            .unwrap()
            .finish(settings::Flags::new(flags))
            .unwrap();
        let module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let ctx = module.make_context();
        Clif {
            module,
            ctx,
            fctx: FunctionBuilderContext::new(),
        }
    }

    /// Builds and defines `x * c` (not finalized).
    pub fn define_mul(&mut self, c: u64) -> FuncId {
        let mut sig = self.module.make_signature();
        sig.params.push(AbiParam::new(types::I64));
        sig.returns.push(AbiParam::new(types::I64));
        let id = self.module.declare_anonymous_function(&sig).unwrap();
        self.ctx.func.signature = sig;
        let cfg = self.module.target_config();
        {
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let block = b.create_block();
            b.switch_to_block(block);
            b.append_block_params_for_function_params(block);
            let x = b.block_params(block)[0];
            let k = b.ins().iconst(types::I64, c as i64);
            let r = b.ins().imul(x, k);
            b.ins().return_(&[r]);
            b.seal_all_blocks();
            b.finalize(cfg);
        }
        self.module.define_function(id, &mut self.ctx).unwrap();
        self.module.clear_context(&mut self.ctx);
        id
    }

    /// Makes every defined function executable.
    pub fn finalize(&mut self) {
        self.module.finalize_definitions().unwrap();
    }

    /// The code of a finalized function.
    pub fn ptr(&self, id: FuncId) -> *const u8 {
        self.module.get_finalized_function(id)
    }

    /// Builds and defines `out[i] = max((x[i]·a + b)·x[i] + c, 0)`, signature
    /// `(x, y, out, n)` like the stitched pipeline: an f32x4 loop (cranelift has no 8-wide
    /// f32 vectors) and a scalar tail.
    pub fn define_fused(&mut self, a: f32, bb: f32, c: f32) -> FuncId {
        let mut sig = self.module.make_signature();
        for _ in 0..4 {
            sig.params.push(AbiParam::new(types::I64));
        }
        let id = self.module.declare_anonymous_function(&sig).unwrap();
        self.ctx.func.signature = sig;
        let cfg = self.module.target_config();
        {
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let (entry, vhead, vbody, shead, sbody, exit) = (
                b.create_block(),
                b.create_block(),
                b.create_block(),
                b.create_block(),
                b.create_block(),
                b.create_block(),
            );
            for blk in [vhead, vbody, shead, sbody] {
                b.append_block_param(blk, types::I64);
            }
            b.switch_to_block(entry);
            b.append_block_params_for_function_params(entry);
            let p = b.block_params(entry).to_vec();
            let (x, out, n) = (p[0], p[2], p[3]);
            let consts = |b: &mut FunctionBuilder, ty| -> [Value; 4] {
                let s = [
                    b.ins().f32const(a),
                    b.ins().f32const(bb),
                    b.ins().f32const(c),
                    b.ins().f32const(0.0),
                ];
                if ty == types::F32 {
                    s
                } else {
                    s.map(|v| b.ins().splat(ty, v))
                }
            };
            let vk = consts(&mut b, types::F32X4);
            let nv = b.ins().band_imm_s(n, -4);
            let zero = b.ins().iconst(types::I64, 0);
            b.ins().jump(vhead, &[zero.into()]);

            let body = |b: &mut FunctionBuilder, i: Value, ty, k: [Value; 4]| {
                let off = b.ins().ishl_imm_u(i, 2);
                let px = b.ins().iadd(x, off);
                let po = b.ins().iadd(out, off);
                let fl = MemFlagsData::trusted();
                let v = b.ins().load(ty, fl, px, 0);
                let t = b.ins().fma(v, k[0], k[1]);
                let t = b.ins().fma(t, v, k[2]);
                let t = b.ins().fmax(t, k[3]);
                b.ins().store(fl, t, po, 0);
            };

            b.switch_to_block(vhead);
            let i = b.block_params(vhead)[0];
            let more = b.ins().icmp(IntCC::UnsignedLessThan, i, nv);
            b.ins().brif(more, vbody, &[i.into()], shead, &[i.into()]);

            b.switch_to_block(vbody);
            let i = b.block_params(vbody)[0];
            body(&mut b, i, types::F32X4, vk);
            let i4 = b.ins().iadd_imm_s(i, 4);
            b.ins().jump(vhead, &[i4.into()]);

            b.switch_to_block(shead);
            let i = b.block_params(shead)[0];
            let more = b.ins().icmp(IntCC::UnsignedLessThan, i, n);
            b.ins().brif(more, sbody, &[i.into()], exit, &[]);

            b.switch_to_block(sbody);
            let i = b.block_params(sbody)[0];
            let sk = consts(&mut b, types::F32);
            body(&mut b, i, types::F32, sk);
            let i1 = b.ins().iadd_imm_s(i, 1);
            b.ins().jump(shead, &[i1.into()]);

            b.switch_to_block(exit);
            b.ins().return_(&[]);
            b.seal_all_blocks();
            b.finalize(cfg);
        }
        self.module.define_function(id, &mut self.ctx).unwrap();
        self.module.clear_context(&mut self.ctx);
        id
    }
}
