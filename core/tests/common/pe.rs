//! PE images for the Authenticode tests: built with the `object` crate's
//! PE writer, signed with `osslsigncode sign` by a [`Pki`]'s keys.

use super::Pki;

/// A small PE32+ EFI application: headers, .text and .data, no signature.
pub fn build_pe(text: &[u8], data: &[u8]) -> Vec<u8> {
    use object::pe;
    use object::write::pe::{NtHeaders, Writer};
    let mut buf = Vec::new();
    let mut w = Writer::new(true, 0x1000, 0x200, &mut buf);
    w.reserve_dos_header_and_stub();
    w.reserve_nt_headers(16);
    w.reserve_section_headers(2);
    let t = w.reserve_text_section(text.len() as u32);
    let d = w.reserve_data_section(data.len() as u32, data.len() as u32);
    w.write_dos_header_and_stub().unwrap();
    w.write_nt_headers(NtHeaders {
        machine: pe::IMAGE_FILE_MACHINE_AMD64,
        time_date_stamp: 0,
        characteristics: pe::IMAGE_FILE_EXECUTABLE_IMAGE,
        major_linker_version: 0,
        minor_linker_version: 0,
        address_of_entry_point: t.virtual_address,
        image_base: 0x1_4000_0000,
        major_operating_system_version: 0,
        minor_operating_system_version: 0,
        major_image_version: 0,
        minor_image_version: 0,
        major_subsystem_version: 0,
        minor_subsystem_version: 0,
        subsystem: pe::IMAGE_SUBSYSTEM_EFI_APPLICATION,
        dll_characteristics: Default::default(),
        size_of_stack_reserve: 0x10000,
        size_of_stack_commit: 0x1000,
        size_of_heap_reserve: 0x10000,
        size_of_heap_commit: 0x1000,
    });
    w.write_section_headers();
    w.write_section(t.file_offset, text);
    w.write_section(d.file_offset, data);
    buf
}

impl Pki {
    /// `osslsigncode sign` of `input` by `signer` with `extra` options; the
    /// signed bytes.
    pub fn sign(&self, input: &[u8], signer: &str, extra: &[&str]) -> Vec<u8> {
        let (i, o) = (self.path("in.efi"), self.path("out.efi"));
        std::fs::write(&i, input).unwrap();
        let _ = std::fs::remove_file(&o);
        let (cert, key) = (format!("{signer}.pem"), format!("{signer}.key"));
        let mut args = vec!["sign", "-certs", &cert, "-key", &key];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-in", "in.efi", "-out", "out.efi"]);
        super::run("osslsigncode", &args, self.dir.path());
        std::fs::read(&o).unwrap()
    }
}

/// An RFC 3161 TimeStampToken from `openssl ts` over the signature value
/// of `signed`'s first signature, issued at the PKI's (fake) time. (osslsigncode's
/// own built-in TSA puts the TSA certificate in the token twice, which
/// strict DER refuses as a SET OF with a duplicate.)
pub fn rfc3161_token(pki: &Pki, signed: &[u8]) -> Vec<u8> {
    // A day after the PKI was made: inside every certificate's validity
    // however long making them took (see `ts_token_at`).
    pki.ts_token_at(
        &super::cms_der::signature_value(&first_signature(signed)),
        "tsa",
        Some("2020-01-02 00:00:00"),
    )
}

/// `signed` with `token` as its first signature's RFC 3161 timestamp
/// (unsigned attribute 1.3.6.1.4.1.311.3.3.1), as signtool /tr adds it.
pub fn with_rfc3161(signed: &[u8], token: &[u8]) -> Vec<u8> {
    let p7 = first_signature(signed);
    let stamped = super::cms_der::set_unsigned_attribute(&p7, "1.3.6.1.4.1.311.3.3.1", token);
    replace_signature(signed, &stamped)
}

/// The DER SignedData of the first WIN_CERTIFICATE entry.
pub fn first_signature(signed: &[u8]) -> Vec<u8> {
    glassbox_core::sig::authenticode::PeImage::parse(signed)
        .unwrap()
        .entries[0]
        .der
        .to_vec()
}

/// `signed` with its certificate table replaced by one WIN_CERTIFICATE
/// (revision 2.0, PKCS_SIGNED_DATA) holding `p7`, padded to 8 bytes, as
/// signing tools write it (PE/COFF "The Attribute Certificate Table").
pub fn replace_signature(signed: &[u8], p7: &[u8]) -> Vec<u8> {
    let dir = cert_dir_offset(signed);
    let table = u32::from_le_bytes(signed[dir..dir + 4].try_into().unwrap()) as usize;
    let mut out = signed[..table].to_vec();
    let len = (8 + p7.len() + 7) & !7;
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&0x0200u16.to_le_bytes());
    out.extend_from_slice(&0x0002u16.to_le_bytes());
    out.extend_from_slice(p7);
    out.resize(table + len, 0);
    out[dir + 4..dir + 8].copy_from_slice(&(len as u32).to_le_bytes());
    out
}

/// Offset of the certificate-table directory entry of a PE32+ image.
pub fn cert_dir_offset(pe: &[u8]) -> usize {
    let e_lfanew = u32::from_le_bytes(pe[0x3c..0x40].try_into().unwrap()) as usize;
    e_lfanew + 24 + 112 + 8 * 4
}

/// A test that runs osslsigncode (and faketime): ignored where they are
/// missing, run (and failing without them) under CI.
#[allow(unused_macros)] // each test file takes what it needs
macro_rules! tool_test {
    ($name:ident, $body:block) => {
        #[test]
        #[cfg_attr(
            not(any(ci, has_osslsigncode)),
            ignore = "needs osslsigncode and faketime (.ci/run installs them)"
        )]
        fn $name() $body
    };
}
#[allow(unused_imports)]
pub(crate) use tool_test;
