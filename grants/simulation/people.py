"""Who acts in the simulated programme and what they write: the managing authority's officers and
approvers (invented people with Greek names), and the texts of justifications and notes. Data, not
rules: the simulation's plan draws from these lists with its seeded generator."""

from dataclasses import dataclass

from grants import roles


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    groups: tuple

    @property
    def email(self) -> str:
        return f"{self.username}@example.gov.gr"


# The evaluation unit of the managing authority: six officers (case handlers), two approvers (head of
# unit and deputy minister's delegate) and a deputy head who is both, so that four eyes is exercised by
# the rule itself, not only by keeping the groups apart: she never includes what she proposed.
TEAM = (
    Person("m.papadaki", "Μαρία", "Παπαδάκη", (roles.OFFICERS,)),
    Person("g.nikolaou", "Γιώργος", "Νικολάου", (roles.OFFICERS,)),
    Person("e.konstantinou", "Ελένη", "Κωνσταντίνου", (roles.OFFICERS,)),
    Person("d.alexiou", "Δημήτρης", "Αλεξίου", (roles.OFFICERS,)),
    Person("k.stathopoulou", "Κατερίνα", "Σταθοπούλου", (roles.OFFICERS,)),
    Person("n.vasileiou", "Νίκος", "Βασιλείου", (roles.OFFICERS,)),
    Person("s.karagianni", "Σοφία", "Καραγιάννη", (roles.OFFICERS, roles.APPROVERS)),
    Person("i.michailidou", "Ιωάννα", "Μιχαηλίδου", (roles.APPROVERS,)),
    Person("a.georgiou", "Αντώνης", "Γεωργίου", (roles.APPROVERS,)),
)
OFFICERS = tuple(p.username for p in TEAM if roles.OFFICERS in p.groups)
APPROVERS = tuple(p.username for p in TEAM if roles.APPROVERS in p.groups)

# A municipality's justification of a selected project: two of these sentences.
JUSTIFICATIONS = (
    "Ο δήμος δεν διαθέτει σήμερα αντίστοιχο σύστημα· η ανάγκη καταγράφεται στο επιχειρησιακό του πρόγραμμα.",
    "Αναβαθμίζεται υφιστάμενη υποδομή που δεν καλύπτει πλέον τις ανάγκες των υπηρεσιών και των δημοτών.",
    "Το κόστος εκτιμήθηκε με βάση τα πρότυπα τεύχη της ΚΕΔΕ και έρευνα αγοράς.",
    "Είναι προτεραιότητα της δημοτικής αρχής για τη μείωση του διοικητικού βάρους των δημοτών.",
    "Διασυνδέεται με το κεντρικό πληροφοριακό σύστημα του δήμου και με τα λοιπά έργα της πρότασης.",
    "Καλύπτει όλες τις δημοτικές ενότητες, με έμφαση στις ορεινές και απομακρυσμένες περιοχές.",
    "Εγκρίθηκε με απόφαση του δημοτικού συμβουλίου μαζί με το σύνολο της πρότασης.",
    "Η λειτουργία και η συντήρηση μετά την παράδοση καλύπτονται από τον τακτικό προϋπολογισμό του δήμου.",
)
# What a municipality adds to a justification when it answers a return for corrections.
CORRECTION = "Συμπληρώθηκε μετά την επιστροφή: αναλυτικός προϋπολογισμός ανά παραδοτέο."

RETURN_NOTES = (
    "Λείπει η τεκμηρίωση του κόστους για δύο έργα· παρακαλούμε συμπληρώστε την αιτιολόγηση.",
    "Τα ποσά δεν συμφωνούν με την απόφαση του δημοτικού συμβουλίου· διορθώστε τα ποσά των έργων.",
    "Απαιτείται επικαιροποιημένο τεχνικό δελτίο με τα παραδοτέα ανά έργο.",
    "Η αιτιολόγηση ενός έργου δεν αντιστοιχεί στο αντικείμενό του· παρακαλούμε διορθώστε.",
)
# What the officer lists as requested with each of the notes above (the return's requested items).
REQUESTED_ITEMS = {
    RETURN_NOTES[0]: (
        "Αναλυτική τεκμηρίωση του κόστους των έργων που επισημάνθηκαν",
        "Συμπληρωμένη αιτιολόγηση ανά έργο",
    ),
    RETURN_NOTES[1]: (
        "Ποσά έργων σύμφωνα με την απόφαση του δημοτικού συμβουλίου",
        "Αντίγραφο της απόφασης του δημοτικού συμβουλίου",
    ),
    RETURN_NOTES[2]: ("Επικαιροποιημένο τεχνικό δελτίο με τα παραδοτέα ανά έργο",),
    RETURN_NOTES[3]: ("Αιτιολόγηση που αντιστοιχεί στο αντικείμενο του έργου",),
}
# The municipality's answer in the thread before it submits again.
REPLY_NOTE = (
    "Καλησπέρα σας. Συμπληρώσαμε τα στοιχεία που ζητήσατε και διορθώσαμε την πρόταση· "
    "την υποβάλλουμε εκ νέου. Παραμένουμε στη διάθεσή σας για κάθε διευκρίνιση."
)
REJECT_NOTES = (
    "Η πρόταση δεν πληροί το κριτήριο ωριμότητας του σταδίου Α: δεν υποβλήθηκαν οι απαιτούμενες μελέτες.",
    "Η πρόταση δεν συγκέντρωσε την ελάχιστη βαθμολογία του σταδίου Β.",
    "Τα έργα της πρότασης επικαλύπτονται με πράξη που χρηματοδοτείται ήδη από άλλο πρόγραμμα.",
)
WITHDRAW_NOTES = (
    "Ο δήμος απέσυρε την πρόταση με απόφαση του δημοτικού συμβουλίου, για να την υποβάλει εκ νέου.",
    "Ο δήμος απέσυρε την πρόταση: τα έργα θα χρηματοδοτηθούν από ίδιους πόρους.",
)
PROPOSE_NOTE = "Ολοκληρώθηκε η αξιολόγηση (στάδια Α και Β)· εισήγηση για ένταξη."
INCLUDE_NOTE = "Κοινή απόφαση ένταξης των Υπουργών Ψηφιακής Διακυβέρνησης και Εσωτερικών."
