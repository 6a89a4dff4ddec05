// A reserved section's seat map as one SVG: a rect per seat, coloured by
// state (free / held / sold / mine / selected). Built as one string (fast for
// 10,000 seats), then updated in place: a poll changes only the seats whose
// state changed. Mouse: click a free seat to select it. Keyboard: the map is
// one tab stop; arrow keys move a cursor, Space or Enter selects, and a live
// region says where the cursor is.

const pitch = 12,
  size = 10, // the seat's side: .seat in app.css
  labelWidth = 28;
const stateNames = { f: 'free', h: 'held', s: 'sold', m: 'yours', x: 'selected' };

export class SeatMap {
  // onChange(selectedLabels) is called when the selection changes.
  constructor(container, onChange) {
    this.container = container;
    this.onChange = onChange;
    this.selected = new Set();
    this.mine = new Set();
    this.rows = [];
    this.cursor = 0;
  }

  label(i) {
    return `${this.rows[Math.floor(i / this.perRow)].row}-${(i % this.perRow) + 1}`;
  }

  // The state letter shown for seat i: the server's, refined by what is ours.
  shown(i, server) {
    const l = this.label(i);
    if (this.mine.has(l)) return 'm';
    if (this.selected.has(l)) return server === 'f' ? 'x' : server;
    return server;
  }

  render(map) {
    this.rows = map.rows;
    this.perRow = map.rows[0]?.states.length ?? 0;
    this.states = map.rows.map((r) => r.states).join('');
    const w = labelWidth + this.perRow * pitch,
      h = this.rows.length * pitch;
    const parts = [
      `<svg id="seatsvg" viewBox="0 0 ${w} ${h}" width="${Math.min(w * 2, 1200)}" tabindex="0" role="application" aria-roledescription="seat map" aria-label="Seat map of ${escapeText(map.section.name)}: arrow keys move, Space selects" focusable="true">`,
    ];
    this.rows.forEach((r, y) => {
      parts.push(`<text x="2" y="${y * pitch + 9}" class="rowlabel" aria-hidden="true">${r.row}</text>`);
      for (let x = 0; x < this.perRow; x++) {
        const i = y * this.perRow + x;
        parts.push(
          `<rect x="${labelWidth + x * pitch}" y="${y * pitch}" class="seat ${this.shown(i, this.states[i])}" data-seat="${r.row}-${x + 1}"/>`,
        );
      }
    });
    parts.push(
      `<rect id="cursor" class="cursor" width="${size + 2}" height="${size + 2}" x="-99" y="-99"/></svg>`,
    );
    this.container.innerHTML = parts.join('');
    this.svg = this.container.firstChild;
    this.rects = this.svg.querySelectorAll('rect.seat');
    this.svg.addEventListener('click', (e) => {
      const label = e.target.dataset?.seat;
      if (label) this.toggle(this.indexOf(label));
    });
    this.svg.addEventListener('keydown', (e) => this.key(e));
    this.svg.addEventListener('focus', () => this.moveCursor(this.cursor));
    this.svg.addEventListener('blur', () => this.svg.querySelector('#cursor').setAttribute('x', -99));
  }

  // A newer map of the same section: only the changed seats are touched.
  update(map) {
    const states = map.rows.map((r) => r.states).join('');
    if (!this.rects || states.length !== this.states.length) return this.render(map);
    const old = this.states;
    this.states = states;
    for (let i = 0; i < states.length; i++) if (states[i] !== old[i]) this.paint(i);
    // A selected seat someone else took is no longer selectable.
    for (const l of [...this.selected]) if (this.stateOf(l) !== 'f') this.selected.delete(l);
    this.onChange([...this.selected]);
  }

  stateOf(label) {
    const i = this.indexOf(label);
    return i < 0 ? null : this.states[i];
  }

  indexOf(label) {
    const [row, n] = label.split('-');
    const y = this.rows.findIndex((r) => r.row === row);
    return y < 0 ? -1 : y * this.perRow + Number(n) - 1;
  }

  paint(i) {
    this.rects[i].setAttribute('class', `seat ${this.shown(i, this.states[i])}`);
  }

  setMine(labels) {
    const before = this.mine;
    this.mine = new Set(labels);
    for (const l of new Set([...before, ...this.mine])) {
      this.selected.delete(l);
      const i = this.indexOf(l);
      if (i >= 0 && this.rects) this.paint(i);
    }
  }

  clearSelection() {
    const was = [...this.selected];
    this.selected.clear();
    for (const l of was) this.paint(this.indexOf(l));
    this.onChange([]);
  }

  toggle(i) {
    const l = this.label(i);
    if (this.selected.has(l)) this.selected.delete(l);
    else if (this.states[i] === 'f' && !this.mine.has(l)) this.selected.add(l);
    else return this.say(`${l} is ${stateNames[this.shown(i, this.states[i])]}`);
    this.paint(i);
    this.onChange([...this.selected]);
    this.say(`${l} ${this.selected.has(l) ? 'selected' : 'unselected'}`);
  }

  key(e) {
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -this.perRow, ArrowDown: this.perRow };
    if (e.key in moves) {
      const next = this.cursor + moves[e.key];
      if (next >= 0 && next < this.states.length) this.moveCursor(next);
      e.preventDefault();
    } else if (e.key === ' ' || e.key === 'Enter') {
      this.toggle(this.cursor);
      e.preventDefault();
    }
  }

  moveCursor(i) {
    this.cursor = i;
    const r = this.rects[i],
      c = this.svg.querySelector('#cursor');
    c.setAttribute('x', r.getAttribute('x') - 1);
    c.setAttribute('y', r.getAttribute('y') - 1);
    this.say(`${this.label(i)}, ${stateNames[this.shown(i, this.states[i])]}`);
  }

  say(text) {
    document.getElementById('announce').textContent = text;
  }
}

export function escapeText(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
