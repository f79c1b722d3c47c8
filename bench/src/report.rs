//! The report: markdown sections and the goals table.

use std::fmt::Write;

/// One goal of issue #5, as measured.
#[derive(Debug, Clone)]
pub struct Goal {
    pub name: String,
    pub target: String,
    pub measured: String,
    /// `None` when it could not be measured.
    pub met: Option<bool>,
}

/// The whole report, built section by section.
#[derive(Debug, Default)]
pub struct Report {
    pub sections: Vec<(String, String)>,
    pub goals: Vec<Goal>,
}

impl Report {
    pub fn section(&mut self, title: &str, body: String) {
        self.sections.push((title.to_string(), body));
    }

    pub fn goal(&mut self, name: &str, target: &str, measured: String, met: Option<bool>) {
        self.goals.push(Goal {
            name: name.into(),
            target: target.into(),
            measured,
            met,
        });
    }

    /// The report as markdown, goals first.
    pub fn render(&self, header: &str) -> String {
        let mut s = String::new();
        s.push_str(header);
        if !self.goals.is_empty() {
            s.push_str("\n## Goals\n\n");
            let rows: Vec<Vec<String>> = self
                .goals
                .iter()
                .map(|g| {
                    let verdict = match g.met {
                        Some(true) => "met",
                        Some(false) => "**missed**",
                        None => "not measured",
                    };
                    vec![
                        g.name.clone(),
                        g.target.clone(),
                        g.measured.clone(),
                        verdict.into(),
                    ]
                })
                .collect();
            s.push_str(&table(&["goal", "target", "measured", "verdict"], &rows));
        }
        for (title, body) in &self.sections {
            let _ = write!(s, "\n## {title}\n\n{body}");
            if !body.ends_with('\n') {
                s.push('\n');
            }
        }
        s
    }
}

/// A markdown table.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| {} |", headers.join(" | "));
    let _ = writeln!(
        s,
        "|{}",
        headers.iter().map(|_| " --- |").collect::<String>()
    );
    for r in rows {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_goals_then_sections() {
        let mut r = Report::default();
        r.section("Size", "big\n".into());
        r.goal("size", "<= 1", "2".into(), Some(false));
        let md = r.render("# T\n");
        assert_eq!(
            md,
            "# T\n\n## Goals\n\n| goal | target | measured | verdict |\n| --- | --- | --- | --- |\n\
             | size | <= 1 | 2 | **missed** |\n\n## Size\n\nbig\n"
        );
    }
}
