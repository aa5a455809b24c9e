"""What a page must hold at phone width (390 px), for the public and the editors' pages."""

# For every table cell, the widest word of its text (measured in the font of the element holding
# it) against the room the cell gives its content. A cell narrower than one of its words splits
# that word into slivers: what phones showed before tables learned to scroll.
SQUEEZED_CELLS = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const squeezed = [];
  for (const cell of document.querySelectorAll("main th, main td")) {
    const style = getComputedStyle(cell);
    const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    let widest = 0, word = "";
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const holder = getComputedStyle(node.parentElement);
      if (holder.display === "none" || node.parentElement.closest(".visually-hidden")) continue;
      canvas.font = holder.font;
      // Lines may break at spaces and after hyphens ("meta-|analysis"), nowhere else.
      for (const w of node.textContent.split(/\\s+|(?<=-)/)) {
        const width = canvas.measureText(w).width;
        if (width > widest) { widest = width; word = w; }
      }
    }
    if (widest > room + 1) {
      squeezed.push(`${word} needs ${Math.ceil(widest)}px, has ${Math.floor(room)}px`);
    }
  }
  return squeezed;
}"""
