use super::*;

/// Names and what GNU's `__cxa_demangle` prints for them.
const CASES: &[(&str, &str)] = &[
        ("_ZN5MyApp6Server14handle_requestEi", "MyApp::Server::handle_request(int)"),
        ("_ZN5MyApp6Server14handle_requestEPKcl", "MyApp::Server::handle_request(char const*, long)"),
        ("_ZN5MyApp5twiceIdEET_S1_", "double MyApp::twice<double>(double)"),
        ("_ZN5MyApp6Server7stat_fnEv", "MyApp::Server::stat_fn()"),
        ("_Z5cfunci", "cfunc(int)"),
        ("_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE5c_strEv", "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::c_str() const"),
        ("_ZNSdC1Ev", "std::basic_iostream<char, std::char_traits<char> >::basic_iostream()"),
        ("_ZNKSs4findEPKcm", "std::string::find(char const*, unsigned long) const"),
        ("_ZNSt8ios_base7failureB5cxx11C1EPKcRKSt10error_code", "std::ios_base::failure[abi:cxx11]::failure(char const*, std::error_code const&)"),
        ("_ZStlsISt11char_traitsIcEERSt13basic_ostreamIcT_ES5_PKc", "std::basic_ostream<char, std::char_traits<char> >& std::operator<< <std::char_traits<char> >(std::basic_ostream<char, std::char_traits<char> >&, char const*)"),
        ("_ZN4llvm10make_errorINS_16RuntimeDyldErrorEJRA31_KcEEENS_5ErrorEDpOT0_", "llvm::Error llvm::make_error<llvm::RuntimeDyldError, char const (&) [31]>(char const (&) [31])"),
        ("_ZN4llvm10Attributor20checkForAllCallSitesENS_12function_refIFbNS_16AbstractCallSiteEEEERKNS_17AbstractAttributeEbRb", "llvm::Attributor::checkForAllCallSites(llvm::function_ref<bool (llvm::AbstractCallSite)>, llvm::AbstractAttribute const&, bool, bool&)"),
        ("_ZN17NewPMDebugifyPass3runERN4llvm6ModuleERNS0_15AnalysisManagerIS1_JEEE", "NewPMDebugifyPass::run(llvm::Module&, llvm::AnalysisManager<llvm::Module>&)"),
        ("_ZTVSt9exception", "vtable for std::exception"),
        ("_ZThn16_NSdD1Ev", "non-virtual thunk to std::basic_iostream<char, std::char_traits<char> >::~basic_iostream()"),
        ("_ZGVZ4mainE1x", "guard variable for main::x"),
        ("_ZZ4mainENKUliE_clEi", "main::{lambda(int)#1}::operator()(int) const"),
        ("_ZN12_GLOBAL__N_13fooEv", "(anonymous namespace)::foo()"),
        ("_Z3fooPFviEM1AKFivE", "foo(void (*)(int), int (A::*)() const)"),
        ("_Z1fIJidEEvDpRKT_", "void f<int, double>(int const&, double const&)"),
];

#[test]
fn matches_gnu_cxa_demangle() {
    for (mangled, want) in CASES {
        assert_eq!(demangle(mangled).as_deref(), Some(*want), "{mangled}");
    }
}

#[test]
fn clones_and_non_names() {
    assert_eq!(
        demangle("_Z5cfunci.cold").as_deref(),
        Some("cfunc(int) [clone .cold]")
    );
    assert_eq!(
        demangle("_Z5cfunci.isra.0").as_deref(),
        Some("cfunc(int) [clone .isra.0]")
    );
    for not in [
        "main",
        "_Z",
        "_ZN5MyApp",
        "_Z5cf",
        "_ZXY",
        "_Z1fIXadL_Z1gEEEvv",
        "",
    ] {
        assert_eq!(demangle(not), None, "{not}");
    }
}

#[test]
fn hostile_input_is_bounded() {
    let deep = format!("_Z1f{}i", "P".repeat(100_000));
    assert_eq!(demangle(&deep), None);
    let many = format!("_Z1f{}", "S_".repeat(1000));
    assert_eq!(demangle(&many), None);
}

#[test]
fn parameter_lists_are_cut_at_the_last_paren() {
    assert_eq!(
        without_params("MyApp::Server::run(int)"),
        "MyApp::Server::run"
    );
    assert_eq!(without_params("f(void (*)(int))"), "f(void (*)");
    assert_eq!(without_params("vtable for X"), "vtable for X");
}
