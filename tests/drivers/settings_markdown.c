/* Prints cass-entry's variable table as Markdown (the README's section is made
 * from the same table that drives the parser and --help): make readme-vars */
#include "entrypoint/help.h"
#include "entrypoint/settings.h"

int main(void)
{
    help_write_markdown(stdout);
    return 0;
}
