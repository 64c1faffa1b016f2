//! The host CPU's features, as the compiler's [`CpuFeatures`].

use hayabusa_compiler::CpuFeatures;

pub fn host_features() -> CpuFeatures {
    CpuFeatures {
        sse3: std::is_x86_feature_detected!("sse3"),
        ssse3: std::is_x86_feature_detected!("ssse3"),
        sse41: std::is_x86_feature_detected!("sse4.1"),
        sse42: std::is_x86_feature_detected!("sse4.2"),
        popcnt: std::is_x86_feature_detected!("popcnt"),
        lzcnt: std::is_x86_feature_detected!("lzcnt"),
        bmi1: std::is_x86_feature_detected!("bmi1"),
        bmi2: std::is_x86_feature_detected!("bmi2"),
        avx: std::is_x86_feature_detected!("avx"),
        avx2: std::is_x86_feature_detected!("avx2"),
        fma: std::is_x86_feature_detected!("fma"),
    }
}
