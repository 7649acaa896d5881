//! The content matrix read back from a compiled config
//! ([`crate::compiled::read`]).

use super::{Accept, ContentMatrix, ContentType, Facet, Item, MatrixWeights};
use crate::compiled::read::{Wire, WireRead};

impl WireRead for ContentType {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => ContentType::Page,
            1 => ContentType::Webinar,
            2 => ContentType::CaseStudy,
            3 => ContentType::WhitePaper,
            4 => ContentType::Blog,
            5 => ContentType::Video,
            6 => ContentType::Demo,
            7 => ContentType::Social,
            8 => ContentType::Report,
            9 => ContentType::Comparison,
            10 => ContentType::Trial,
            11 => ContentType::Other,
            _ => w.invalid(ContentType::Other),
        }
    }
}

impl WireRead for Facet {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => Facet::Industry,
            1 => Facet::Role,
            2 => Facet::CompanySize,
            3 => Facet::Region,
            _ => w.invalid(Facet::Region),
        }
    }
}

impl WireRead for Accept {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => Accept::Label {
                norm: w.read(),
                text: w.read(),
            },
            1 => Accept::Range {
                lo: w.read(),
                hi: w.read(),
                text: w.read(),
            },
            _ => w.invalid(Accept::Label {
                norm: String::new(),
                text: String::new(),
            }),
        }
    }
}

impl WireRead for Item {
    fn read(w: &mut Wire<'_>) -> Self {
        Item {
            id: w.read(),
            title: w.read(),
            url: w.read(),
            kind: w.read(),
            topics: w.read(),
            stage: w.read(),
            persona: w.read(),
        }
    }
}

/// The weights as `crate::compiled::wire::weights` writes them: nine
/// numbers in their order.
impl WireRead for MatrixWeights {
    fn read(w: &mut Wire<'_>) -> Self {
        let [industry, role, company_size, region, current_stage, next_stage, any_stage, interest, tier] =
            <[f64; 9]>::read(w);
        MatrixWeights {
            industry,
            role,
            company_size,
            region,
            current_stage,
            next_stage,
            any_stage,
            interest,
            tier,
        }
    }
}

impl WireRead for ContentMatrix {
    fn read(w: &mut Wire<'_>) -> Self {
        ContentMatrix {
            items: w.read(),
            limit: w.read(),
            weights: w.read(),
        }
    }
}
