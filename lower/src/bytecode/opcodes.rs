//! The opcodes of QuickJS bytecode version 28 (quickjs-ng 0.16, as rquickjs 0.14 bundles it), the
//! short forms included (they follow `nop`), from one table: `for_each_opcode!` lists each
//! opcode once (its variant, byte, QuickJS name, operand format, and for the short forms the
//! operand they imply), and [`Opcode`] with its decoder, names, formats and sizes is generated
//! from it. Facts of the format, in opcode order; a change of engine version changes them,
//! which [`BC_VERSION`](super::BC_VERSION) detects.

/// How an opcode's operands are laid out after the opcode byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `none`.
    None,
    /// `none_int`.
    NoneInt,
    /// `none_loc`.
    NoneLoc,
    /// `none_arg`.
    NoneArg,
    /// `none_var_ref`.
    NoneVarRef,
    /// `u8`.
    U8,
    /// `i8`.
    I8,
    /// `loc8`.
    Loc8,
    /// `const8`.
    Const8,
    /// `label8`.
    Label8,
    /// `u16`.
    U16,
    /// `i16`.
    I16,
    /// `label16`.
    Label16,
    /// `npop`.
    Npop,
    /// `npopx`.
    Npopx,
    /// `npop_u16`.
    NpopU16,
    /// `loc`.
    Loc,
    /// `arg`.
    Arg,
    /// `var_ref`.
    VarRef,
    /// `u32`.
    U32,
    /// `u32x2`.
    U32x2,
    /// `i32`.
    I32,
    /// `const`.
    Const,
    /// `label`.
    Label,
    /// `atom`.
    Atom,
    /// `atom_u8`.
    AtomU8,
    /// `atom_u16`.
    AtomU16,
    /// `atom_label_u8`.
    AtomLabelU8,
    /// `atom_label_u16`.
    AtomLabelU16,
    /// `label_u16`.
    LabelU16,
}

impl Format {
    /// Bytes of the operands after the opcode byte.
    pub const fn operand_bytes(self) -> usize {
        use Format::*;
        match self {
            None | NoneInt | NoneLoc | NoneArg | NoneVarRef | Npopx => 0,
            U8 | I8 | Loc8 | Const8 | Label8 => 1,
            U16 | I16 | Label16 | Npop | Loc | Arg | VarRef => 2,
            NpopU16 | U32 | I32 | Const | Label | Atom => 4,
            AtomU8 => 5,
            AtomU16 | LabelU16 => 6,
            U32x2 => 8,
            AtomLabelU8 => 9,
            AtomLabelU16 => 10,
        }
    }
}

/// The opcode table: calls `$m!` with one row per opcode final bytecode may hold, in byte
/// order, `Variant = byte, "quickjs_name", Format;`, a short form followed by the operand it
/// implies, `Format(n)`. [`Opcode`] and its methods are generated from it by
/// `define_opcodes!`; another generator may take it too.
macro_rules! for_each_opcode {
    ($m:ident) => {
        $m! {
            Invalid              =   0, "invalid",                 None;
            PushI32              =   1, "push_i32",                I32;
            PushConst            =   2, "push_const",              Const;
            Fclosure             =   3, "fclosure",                Const;
            PushAtomValue        =   4, "push_atom_value",         Atom;
            PrivateSymbol        =   5, "private_symbol",          Atom;
            Undefined            =   6, "undefined",               None;
            Null                 =   7, "null",                    None;
            PushThis             =   8, "push_this",               None;
            PushFalse            =   9, "push_false",              None;
            PushTrue             =  10, "push_true",               None;
            Object               =  11, "object",                  None;
            SpecialObject        =  12, "special_object",          U8;
            Rest                 =  13, "rest",                    U16;
            Drop                 =  14, "drop",                    None;
            Nip                  =  15, "nip",                     None;
            Nip1                 =  16, "nip1",                    None;
            Dup                  =  17, "dup",                     None;
            Dup1                 =  18, "dup1",                    None;
            Dup2                 =  19, "dup2",                    None;
            Dup3                 =  20, "dup3",                    None;
            Insert2              =  21, "insert2",                 None;
            Insert3              =  22, "insert3",                 None;
            Insert4              =  23, "insert4",                 None;
            Perm3                =  24, "perm3",                   None;
            Perm4                =  25, "perm4",                   None;
            Perm5                =  26, "perm5",                   None;
            Swap                 =  27, "swap",                    None;
            Swap2                =  28, "swap2",                   None;
            Rot3l                =  29, "rot3l",                   None;
            Rot3r                =  30, "rot3r",                   None;
            Rot4l                =  31, "rot4l",                   None;
            Rot5l                =  32, "rot5l",                   None;
            CallConstructor      =  33, "call_constructor",        Npop;
            Call                 =  34, "call",                    Npop;
            TailCall             =  35, "tail_call",               Npop;
            CallMethod           =  36, "call_method",             Npop;
            TailCallMethod       =  37, "tail_call_method",        Npop;
            ArrayFrom            =  38, "array_from",              Npop;
            Apply                =  39, "apply",                   U16;
            Return               =  40, "return",                  None;
            ReturnUndef          =  41, "return_undef",            None;
            CheckCtorReturn      =  42, "check_ctor_return",       None;
            CheckCtor            =  43, "check_ctor",              None;
            InitCtor             =  44, "init_ctor",               None;
            CheckBrand           =  45, "check_brand",             None;
            AddBrand             =  46, "add_brand",               None;
            ReturnAsync          =  47, "return_async",            None;
            Throw                =  48, "throw",                   None;
            ThrowError           =  49, "throw_error",             AtomU8;
            Eval                 =  50, "eval",                    NpopU16;
            ApplyEval            =  51, "apply_eval",              U16;
            Regexp               =  52, "regexp",                  None;
            GetSuper             =  53, "get_super",               None;
            Import               =  54, "import",                  None;
            GetVarUndef          =  55, "get_var_undef",           Atom;
            GetVar               =  56, "get_var",                 Atom;
            PutVar               =  57, "put_var",                 Atom;
            PutVarInit           =  58, "put_var_init",            Atom;
            GetRefValue          =  59, "get_ref_value",           None;
            PutRefValue          =  60, "put_ref_value",           None;
            DefineVar            =  61, "define_var",              AtomU8;
            CheckDefineVar       =  62, "check_define_var",        AtomU8;
            DefineFunc           =  63, "define_func",             AtomU8;
            GetField             =  64, "get_field",               Atom;
            GetField2            =  65, "get_field2",              Atom;
            PutField             =  66, "put_field",               Atom;
            GetPrivateField      =  67, "get_private_field",       None;
            PutPrivateField      =  68, "put_private_field",       None;
            DefinePrivateField   =  69, "define_private_field",    None;
            GetArrayEl           =  70, "get_array_el",            None;
            GetArrayEl2          =  71, "get_array_el2",           None;
            PutArrayEl           =  72, "put_array_el",            None;
            GetSuperValue        =  73, "get_super_value",         None;
            PutSuperValue        =  74, "put_super_value",         None;
            DefineField          =  75, "define_field",            Atom;
            SetName              =  76, "set_name",                Atom;
            SetNameComputed      =  77, "set_name_computed",       None;
            SetProto             =  78, "set_proto",               None;
            SetHomeObject        =  79, "set_home_object",         None;
            DefineArrayEl        =  80, "define_array_el",         None;
            Append               =  81, "append",                  None;
            CopyDataProperties   =  82, "copy_data_properties",    U8;
            DefineMethod         =  83, "define_method",           AtomU8;
            DefineMethodComputed =  84, "define_method_computed",  U8;
            DefineClass          =  85, "define_class",            AtomU8;
            DefineClassComputed  =  86, "define_class_computed",   AtomU8;
            GetLoc               =  87, "get_loc",                 Loc;
            PutLoc               =  88, "put_loc",                 Loc;
            SetLoc               =  89, "set_loc",                 Loc;
            GetArg               =  90, "get_arg",                 Arg;
            PutArg               =  91, "put_arg",                 Arg;
            SetArg               =  92, "set_arg",                 Arg;
            GetVarRef            =  93, "get_var_ref",             VarRef;
            PutVarRef            =  94, "put_var_ref",             VarRef;
            SetVarRef            =  95, "set_var_ref",             VarRef;
            SetLocUninitialized  =  96, "set_loc_uninitialized",   Loc;
            GetLocCheck          =  97, "get_loc_check",           Loc;
            PutLocCheck          =  98, "put_loc_check",           Loc;
            PutLocCheckInit      =  99, "put_loc_check_init",      Loc;
            GetVarRefCheck       = 100, "get_var_ref_check",       VarRef;
            PutVarRefCheck       = 101, "put_var_ref_check",       VarRef;
            PutVarRefCheckInit   = 102, "put_var_ref_check_init",  VarRef;
            CloseLoc             = 103, "close_loc",               Loc;
            IfFalse              = 104, "if_false",                Label;
            IfTrue               = 105, "if_true",                 Label;
            Goto                 = 106, "goto",                    Label;
            Catch                = 107, "catch",                   Label;
            Gosub                = 108, "gosub",                   Label;
            Ret                  = 109, "ret",                     None;
            NipCatch             = 110, "nip_catch",               None;
            CheckObject          = 111, "check_object",            None;
            ToObject             = 112, "to_object",               None;
            ToPropkey            = 113, "to_propkey",              None;
            ToPropkey2           = 114, "to_propkey2",             None;
            WithGetVar           = 115, "with_get_var",            AtomLabelU8;
            WithPutVar           = 116, "with_put_var",            AtomLabelU8;
            WithDeleteVar        = 117, "with_delete_var",         AtomLabelU8;
            WithMakeRef          = 118, "with_make_ref",           AtomLabelU8;
            WithGetRef           = 119, "with_get_ref",            AtomLabelU8;
            WithGetRefUndef      = 120, "with_get_ref_undef",      AtomLabelU8;
            MakeLocRef           = 121, "make_loc_ref",            AtomU16;
            MakeArgRef           = 122, "make_arg_ref",            AtomU16;
            MakeVarRefRef        = 123, "make_var_ref_ref",        AtomU16;
            MakeVarRef           = 124, "make_var_ref",            Atom;
            ForInStart           = 125, "for_in_start",            None;
            ForOfStart           = 126, "for_of_start",            None;
            ForAwaitOfStart      = 127, "for_await_of_start",      None;
            ForInNext            = 128, "for_in_next",             None;
            ForOfNext            = 129, "for_of_next",             U8;
            IteratorGetValueDone = 130, "iterator_get_value_done", None;
            IteratorClose        = 131, "iterator_close",          None;
            IteratorNext         = 132, "iterator_next",           None;
            IteratorCall         = 133, "iterator_call",           U8;
            InitialYield         = 134, "initial_yield",           None;
            Yield                = 135, "yield",                   None;
            YieldStar            = 136, "yield_star",              None;
            AsyncYieldStar       = 137, "async_yield_star",        None;
            Await                = 138, "await",                   None;
            Neg                  = 139, "neg",                     None;
            Plus                 = 140, "plus",                    None;
            Dec                  = 141, "dec",                     None;
            Inc                  = 142, "inc",                     None;
            PostDec              = 143, "post_dec",                None;
            PostInc              = 144, "post_inc",                None;
            DecLoc               = 145, "dec_loc",                 Loc8;
            IncLoc               = 146, "inc_loc",                 Loc8;
            AddLoc               = 147, "add_loc",                 Loc8;
            Not                  = 148, "not",                     None;
            Lnot                 = 149, "lnot",                    None;
            Typeof               = 150, "typeof",                  None;
            Delete               = 151, "delete",                  None;
            DeleteVar            = 152, "delete_var",              Atom;
            Mul                  = 153, "mul",                     None;
            Div                  = 154, "div",                     None;
            Mod                  = 155, "mod",                     None;
            Add                  = 156, "add",                     None;
            Sub                  = 157, "sub",                     None;
            Shl                  = 158, "shl",                     None;
            Sar                  = 159, "sar",                     None;
            Shr                  = 160, "shr",                     None;
            And                  = 161, "and",                     None;
            Xor                  = 162, "xor",                     None;
            Or                   = 163, "or",                      None;
            Pow                  = 164, "pow",                     None;
            Lt                   = 165, "lt",                      None;
            Lte                  = 166, "lte",                     None;
            Gt                   = 167, "gt",                      None;
            Gte                  = 168, "gte",                     None;
            Instanceof           = 169, "instanceof",              None;
            In                   = 170, "in",                      None;
            Eq                   = 171, "eq",                      None;
            Neq                  = 172, "neq",                     None;
            StrictEq             = 173, "strict_eq",               None;
            StrictNeq            = 174, "strict_neq",              None;
            IsUndefinedOrNull    = 175, "is_undefined_or_null",    None;
            PrivateIn            = 176, "private_in",              None;
            PushBigintI32        = 177, "push_bigint_i32",         I32;
            UsingDisposeInit     = 178, "using_dispose_init",      None;
            UsingDispose         = 179, "using_dispose",           Loc;
            UsingDisposeAsync    = 180, "using_dispose_async",     Loc;
            UsingDisposeMerge    = 181, "using_dispose_merge",     None;
            UsingDisposeEnd      = 182, "using_dispose_end",       None;
            UsingCheck           = 183, "using_check",             U8;
            Nop                  = 184, "nop",                     None;
            // The short forms, numbered on from `nop` (the temporary opcodes that sit between
            // them in QuickJS's list never reach final bytecode); `(n)`: the operand they imply.
            PushMinus1           = 185, "push_minus1",             NoneInt(-1);
            Push0                = 186, "push_0",                  NoneInt(0);
            Push1                = 187, "push_1",                  NoneInt(1);
            Push2                = 188, "push_2",                  NoneInt(2);
            Push3                = 189, "push_3",                  NoneInt(3);
            Push4                = 190, "push_4",                  NoneInt(4);
            Push5                = 191, "push_5",                  NoneInt(5);
            Push6                = 192, "push_6",                  NoneInt(6);
            Push7                = 193, "push_7",                  NoneInt(7);
            PushI8               = 194, "push_i8",                 I8;
            PushI16              = 195, "push_i16",                I16;
            PushConst8           = 196, "push_const8",             Const8;
            Fclosure8            = 197, "fclosure8",               Const8;
            PushEmptyString      = 198, "push_empty_string",       None;
            GetLoc8              = 199, "get_loc8",                Loc8;
            PutLoc8              = 200, "put_loc8",                Loc8;
            SetLoc8              = 201, "set_loc8",                Loc8;
            GetLoc0Loc1          = 202, "get_loc0_loc1",           NoneLoc;
            GetLoc0              = 203, "get_loc0",                NoneLoc(0);
            GetLoc1              = 204, "get_loc1",                NoneLoc(1);
            GetLoc2              = 205, "get_loc2",                NoneLoc(2);
            GetLoc3              = 206, "get_loc3",                NoneLoc(3);
            PutLoc0              = 207, "put_loc0",                NoneLoc(0);
            PutLoc1              = 208, "put_loc1",                NoneLoc(1);
            PutLoc2              = 209, "put_loc2",                NoneLoc(2);
            PutLoc3              = 210, "put_loc3",                NoneLoc(3);
            SetLoc0              = 211, "set_loc0",                NoneLoc(0);
            SetLoc1              = 212, "set_loc1",                NoneLoc(1);
            SetLoc2              = 213, "set_loc2",                NoneLoc(2);
            SetLoc3              = 214, "set_loc3",                NoneLoc(3);
            GetArg0              = 215, "get_arg0",                NoneArg(0);
            GetArg1              = 216, "get_arg1",                NoneArg(1);
            GetArg2              = 217, "get_arg2",                NoneArg(2);
            GetArg3              = 218, "get_arg3",                NoneArg(3);
            PutArg0              = 219, "put_arg0",                NoneArg(0);
            PutArg1              = 220, "put_arg1",                NoneArg(1);
            PutArg2              = 221, "put_arg2",                NoneArg(2);
            PutArg3              = 222, "put_arg3",                NoneArg(3);
            SetArg0              = 223, "set_arg0",                NoneArg(0);
            SetArg1              = 224, "set_arg1",                NoneArg(1);
            SetArg2              = 225, "set_arg2",                NoneArg(2);
            SetArg3              = 226, "set_arg3",                NoneArg(3);
            GetVarRef0           = 227, "get_var_ref0",            NoneVarRef(0);
            GetVarRef1           = 228, "get_var_ref1",            NoneVarRef(1);
            GetVarRef2           = 229, "get_var_ref2",            NoneVarRef(2);
            GetVarRef3           = 230, "get_var_ref3",            NoneVarRef(3);
            PutVarRef0           = 231, "put_var_ref0",            NoneVarRef(0);
            PutVarRef1           = 232, "put_var_ref1",            NoneVarRef(1);
            PutVarRef2           = 233, "put_var_ref2",            NoneVarRef(2);
            PutVarRef3           = 234, "put_var_ref3",            NoneVarRef(3);
            SetVarRef0           = 235, "set_var_ref0",            NoneVarRef(0);
            SetVarRef1           = 236, "set_var_ref1",            NoneVarRef(1);
            SetVarRef2           = 237, "set_var_ref2",            NoneVarRef(2);
            SetVarRef3           = 238, "set_var_ref3",            NoneVarRef(3);
            GetLength            = 239, "get_length",              None;
            IfFalse8             = 240, "if_false8",               Label8;
            IfTrue8              = 241, "if_true8",                Label8;
            Goto8                = 242, "goto8",                   Label8;
            Goto16               = 243, "goto16",                  Label16;
            Call0                = 244, "call0",                   Npopx(0);
            Call1                = 245, "call1",                   Npopx(1);
            Call2                = 246, "call2",                   Npopx(2);
            Call3                = 247, "call3",                   Npopx(3);
            IsUndefined          = 248, "is_undefined",            None;
            IsNull               = 249, "is_null",                 None;
            TypeofIsUndefined    = 250, "typeof_is_undefined",     None;
            TypeofIsFunction     = 251, "typeof_is_function",      None;
        }
    };
}

/// The operand a row implies, if it names one.
macro_rules! implied {
    () => {
        None
    };
    ($n:literal) => {
        Some($n)
    };
}

/// Generates [`Opcode`] from the rows of `for_each_opcode!`.
macro_rules! define_opcodes {
    ($($Name:ident = $byte:literal, $name:literal, $format:ident $(($n:literal))?;)*) => {
        /// A QuickJS opcode: one variant per row of the opcode table (`for_each_opcode!`), its
        /// discriminant the opcode byte.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Opcode {
            $(
                #[doc = concat!("`", $name, "` (byte ", stringify!($byte), ", operands ",
                    stringify!($format), $(" implying ", stringify!($n),)? ").")]
                $Name = $byte,
            )*
        }

        impl Opcode {
            /// Every opcode, in byte order.
            pub const ALL: &[Opcode] = &[$(Opcode::$Name),*];

            /// The opcode of byte `b`, if final bytecode may hold it.
            pub const fn from_byte(b: u8) -> Option<Opcode> {
                match b {
                    $($byte => Some(Opcode::$Name),)*
                    _ => None,
                }
            }

            /// Its name in QuickJS (`push_i32`, `get_loc`, ...), as listings and messages show it.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Opcode::$Name => $name,)*
                }
            }

            /// Its operand layout.
            pub const fn format(self) -> Format {
                match self {
                    $(Opcode::$Name => Format::$format,)*
                }
            }

            /// The integer operand a short form implies (`get_loc2`: 2, `push_minus1`: -1,
            /// `call3`: 3); none for the others.
            pub const fn implied(self) -> Option<i64> {
                match self {
                    $(Opcode::$Name => implied!($($n)?),)*
                }
            }
        }
    };
}

for_each_opcode!(define_opcodes);

impl Opcode {
    /// Bytes of the instruction, the opcode byte included.
    pub const fn size(self) -> usize {
        1 + self.format().operand_bytes()
    }

    /// Pushes an integer: its operand (`push_i8`, `push_i16`, `push_i32`) or the one its short
    /// form implies (`push_minus1`, `push_0` … `push_7`).
    pub const fn pushes_int(self) -> bool {
        use Opcode as O;
        matches!(
            self,
            O::PushI8
                | O::PushI16
                | O::PushI32
                | O::PushMinus1
                | O::Push0
                | O::Push1
                | O::Push2
                | O::Push3
                | O::Push4
                | O::Push5
                | O::Push6
                | O::Push7
        )
    }

    /// Pushes one local: `get_loc`, its short forms and `get_loc_check`.
    pub const fn gets_local(self) -> bool {
        use Opcode as O;
        matches!(
            self,
            O::GetLoc
                | O::GetLoc8
                | O::GetLoc0
                | O::GetLoc1
                | O::GetLoc2
                | O::GetLoc3
                | O::GetLocCheck
        )
    }

    /// Stores the top of the stack into a local and pops it: `put_loc`, its short forms and its
    /// checked forms.
    pub const fn puts_local(self) -> bool {
        use Opcode as O;
        matches!(
            self,
            O::PutLoc
                | O::PutLoc8
                | O::PutLoc0
                | O::PutLoc1
                | O::PutLoc2
                | O::PutLoc3
                | O::PutLocCheck
                | O::PutLocCheckInit
        )
    }

    /// Stores the top of the stack into a local and keeps it: `set_loc` and its short forms.
    pub const fn sets_local(self) -> bool {
        use Opcode as O;
        matches!(
            self,
            O::SetLoc | O::SetLoc8 | O::SetLoc0 | O::SetLoc1 | O::SetLoc2 | O::SetLoc3
        )
    }

    /// Reads or writes the locals (what the lowering's local step handles).
    pub const fn is_local_op(self) -> bool {
        use Opcode as O;
        self.gets_local()
            || self.puts_local()
            || self.sets_local()
            || matches!(
                self,
                O::GetLoc0Loc1 | O::SetLocUninitialized | O::IncLoc | O::DecLoc | O::AddLoc
            )
    }
}

impl std::fmt::Display for Opcode {
    /// Its QuickJS name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_decode_to_their_opcodes_and_back() {
        assert_eq!(Opcode::ALL.len(), 252);
        for b in 0..=u8::MAX {
            match Opcode::from_byte(b) {
                Some(op) => {
                    assert_eq!(op as u8, b);
                    assert_eq!(Opcode::ALL[usize::from(b)], op);
                }
                None => assert!(usize::from(b) >= Opcode::ALL.len(), "byte {b}"),
            }
        }
        let mut names: Vec<&str> = Opcode::ALL.iter().map(|o| o.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Opcode::ALL.len(), "a name given twice");
    }

    #[test]
    fn the_table_holds_quickjs_facts() {
        assert_eq!(Opcode::from_byte(0).map(Opcode::name), Some("invalid"));
        // The short opcodes follow `nop`, numbered on from it.
        assert_eq!(Opcode::Nop as u8 + 1, Opcode::PushMinus1 as u8);
        let sizes = [
            (Opcode::PushI32, 5),
            (Opcode::Drop, 1),
            (Opcode::Call, 3),
            (Opcode::Eval, 5),
            (Opcode::ThrowError, 6),
            (Opcode::MakeLocRef, 7),
            (Opcode::WithGetVar, 10),
            (Opcode::IncLoc, 2),
            (Opcode::Goto16, 3),
        ];
        for (op, size) in sizes {
            assert_eq!(op.size(), size, "{op}");
        }
        assert_eq!(Opcode::GetLoc2.implied(), Some(2));
        assert_eq!(Opcode::PushMinus1.implied(), Some(-1));
        assert_eq!(Opcode::Call3.implied(), Some(3));
        assert_eq!(Opcode::GetLoc.implied(), None);
    }

    #[test]
    fn only_short_forms_imply_an_operand() {
        for &op in Opcode::ALL {
            let short = matches!(
                op.format(),
                Format::NoneInt
                    | Format::NoneLoc
                    | Format::NoneArg
                    | Format::NoneVarRef
                    | Format::Npopx
            );
            assert!(op.implied().is_none() || short, "{op}");
            // Each short form names its operand at the end of its name (`get_loc0_loc1`, two
            // locals, names none).
            if let Some(n) = op.implied() {
                let tail = if n < 0 {
                    "minus1".to_owned()
                } else {
                    n.to_string()
                };
                assert!(op.name().ends_with(&tail), "{op}");
            }
        }
    }
}
