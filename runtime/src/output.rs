//! Where the program's output goes: stdout or the `-o` file, flushed after every write
//! so a reader on a pipe sees each line as soon as it is produced.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

pub struct Output {
    sink: Box<dyn Write>,
}

impl Output {
    pub fn stdout() -> Output {
        Output {
            sink: Box::new(io::stdout()),
        }
    }

    /// Create (or truncate) `path`.
    pub fn file(path: &Path) -> io::Result<Output> {
        Ok(Output {
            sink: Box::new(File::create(path)?),
        })
    }

    /// A sink for tests.
    pub fn to_writer(w: Box<dyn Write>) -> Output {
        Output { sink: w }
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.sink.write_all(bytes)?;
        self.sink.flush()
    }
}
