//! Demo data: a finished assessment of the demo's communities for last year.
use platform::AppState;
use platform::module::Demo;

pub async fn seed(_state: &AppState, _demo: &mut Demo) -> anyhow::Result<()> {
    Ok(())
}
