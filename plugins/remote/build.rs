//! Compiles proto/grpc_service.proto into the gRPC client (feature `grpc`), with protox: no
//! system protoc.
fn main() {
    #[cfg(feature = "grpc")]
    {
        println!("cargo:rerun-if-changed=proto/grpc_service.proto");
        let files = protox::compile(["proto/grpc_service.proto"], ["proto"]).expect("proto/grpc_service.proto compiles");
        tonic_prost_build::configure()
            .build_server(false)
            .compile_fds(files)
            .expect("the gRPC client generates");
    }
}
