"""Where the rest of the product joins the simulation.

An extension is a function `extension(plan, rng) -> list[Step]` added with `@register`. It reads the
finished core plan (grants.simulation.plan.ProgrammePlan: each application's final status, its dated
steps, its inclusion date…) and returns more dated steps, each with `run=callable(sim, step)` that
writes through the services as the person who would (sim: grants.simulation.run.Simulation, which
holds the programme, the applications and selections created so far, and finds or creates accounts).
The runner merges them with the core steps by time and runs each with the clock at its moment, so
their records are dated like everything else. Each extension draws from its own generator, seeded
from the run's seed and its name: adding one changes neither the core plan nor the published figures.

For example, documents on every application under review, or a contract some months after each
inclusion:

    @register
    def contracts(plan, rng):
        return [
            Step(datetime.combine(app.inclusion_date + timedelta(days=rng.randint(60, 200)), time(11), TZ),
                 app.code, "contract_sign", actor="municipality", run=_sign_contract)
            for app in plan.applications if app.status == ApplicationStatus.INCLUDED
        ]

Steps must be dated on or before grants.simulation.plan.END (the end of July 2024), and their
application's steps before them have run (its `sim.applications[code]` exists) by then."""

EXTENSIONS: list = []


def register(extension):
    """Add `extension` to every simulation run (in the order registered); returns it unchanged."""
    EXTENSIONS.append(extension)
    return extension
